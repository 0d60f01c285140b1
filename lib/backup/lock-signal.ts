// A run under a store lock stops when the lock is lost (StoreLock.lost):
// the engine's own abort path then commits nothing, as for the user's
// AbortSignal, and the error is the lock's (BACKUP_LOCKED) rather than the
// AbortError that streams make of an abort.
import { setMaxListeners } from 'node:events';
import { StoreLock } from './store';

/**
 * Listeners one run's signal may have: every path or file in flight (8)
 * runs a few streams on it (signature, delta, patch, loading a signature).
 * Node warns past 10 by default, taking them for a leak.
 */
export const RUN_SIGNAL_LISTENERS = 64;

export async function whileLocked<T extends { signal?: AbortSignal }, R>(lock: StoreLock, options: T, work: (options: T) => Promise<R>): Promise<R> {
  const sources = [options.signal, lock.lost].filter((s): s is AbortSignal => s !== undefined);
  if (sources.length === 0) return work(options);
  // A signal of the run's own, so that the user's does not collect the run's listeners.
  const signal = AbortSignal.any(sources);
  setMaxListeners(RUN_SIGNAL_LISTENERS, signal);
  try {
    return await work({ ...options, signal });
  } catch (err) {
    if (lock.lost?.aborted && !options.signal?.aborted) throw lock.lost.reason;
    throw err;
  }
}
