// How many thread-pool work items one signature or delta keeps in flight.
// Each holds one stripe of input (a few MiB), so memory is bounded by
// concurrency x stripe. The default uses every core, but never more items
// than the libuv pool has threads (UV_THREADPOOL_SIZE, 4 by default):
// more would only queue behind each other and behind file reads.
import { availableParallelism } from 'node:os';
import { paramError } from './errors';

export interface ConcurrencyOption {
  /**
   * Work items in flight for one signature or delta (1 = serial, exactly
   * librsync's own loop). Default: the number of cores, at most the size of
   * the libuv thread pool (UV_THREADPOOL_SIZE).
   */
  concurrency?: number;
}

export const MAX_CONCURRENCY = 64;

/** libuv's pool size as this process will use it (read when the pool starts). */
export function threadPoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

export function defaultConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), threadPoolSize(), MAX_CONCURRENCY));
}

export function resolveConcurrency(value: number | undefined): number {
  if (value === undefined) return defaultConcurrency();
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw paramError(`concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  }
  return value;
}
