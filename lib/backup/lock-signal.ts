// A run under a store lock stops when the lock is lost (StoreLock.lost):
// the engine's own abort path then commits nothing, as for the user's
// AbortSignal, and the error is the lock's (BACKUP_LOCKED) rather than the
// AbortError that streams make of an abort.
import { StoreLock } from './store';

export async function whileLocked<T extends { signal?: AbortSignal }, R>(lock: StoreLock, options: T, work: (options: T) => Promise<R>): Promise<R> {
  const lost = lock.lost;
  if (!lost) return work(options);
  try {
    return await work({ ...options, signal: options.signal ? AbortSignal.any([options.signal, lost]) : lost });
  } catch (err) {
    if (lost.aborted && !options.signal?.aborted) throw lost.reason;
    throw err;
  }
}
