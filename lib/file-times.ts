// Sets a path's modification (and access) time to the nanosecond where the
// native addon is loaded (utimensat); elsewhere through fs.utimes, which
// libuv truncates to the microsecond.
import { lutimes, utimes } from 'node:fs/promises';
import { nativeBinding, nativeLoadError } from './native-binding';

export interface FileTimesOptions {
  /** Set the times of a symlink itself, not of its target. */
  noFollow?: boolean;
}

/** Whether times are set exactly (true) or to the microsecond (false). */
export function nanosecondTimes(): boolean {
  return nativeLoadError() === undefined;
}

/** Seconds for utimes, exact to the microsecond (half a microsecond added so libuv's truncation lands on it). */
export function utimeSeconds(ns: bigint): number {
  if (ns < 0n) return Number(ns) / 1e9;
  const seconds = ns / 1_000_000_000n;
  const micros = (ns % 1_000_000_000n) / 1000n;
  return Number(seconds) + (Number(micros) + 0.5) / 1e6;
}

export async function setFileTimes(path: string, mtimeNs: bigint, options: FileTimesOptions = {}): Promise<void> {
  if (nanosecondTimes()) {
    const { setFileTimes: native } = nativeBinding();
    return new Promise((resolve, reject) => native(path, mtimeNs, options.noFollow === true, (err) => (err ? reject(err) : resolve())));
  }
  const seconds = utimeSeconds(mtimeNs);
  await (options.noFollow ? lutimes(path, seconds, seconds) : utimes(path, seconds, seconds));
}
