// Owner, mode and modification time of a restored path. Ownership is set
// only by root (or to oneself); chown comes before chmod because it clears
// set-id bits. Node's utimes takes seconds as a double and libuv truncates
// to microseconds: times come back to the microsecond (the manifest keeps
// nanoseconds). Symlinks get lutimes and no chmod (Linux has no lchmod).
import { chmod, lchown, lutimes, utimes } from 'node:fs/promises';
import { ManifestEntry } from './manifest';

/** Seconds for utimes, exact to the microsecond (half a microsecond added so libuv's truncation lands on it). */
export function utimeSeconds(ns: string): number {
  const value = BigInt(ns);
  const seconds = value / 1_000_000_000n;
  const micros = (value % 1_000_000_000n) / 1000n;
  if (value < 0n) return Number(value) / 1e9;
  return Number(seconds) + (Number(micros) + 0.5) / 1e6;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export async function applyMetadata(path: string, entry: ManifestEntry, warn: (message: string) => void): Promise<void> {
  if (isRoot || entry.uid === process.getuid?.()) {
    try {
      await lchown(path, entry.uid!, entry.gid!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      if (isRoot) warn(`cannot set owner ${entry.uid}:${entry.gid}: ${(err as Error).message}`);
    }
  }
  if (entry.type !== 'symlink') await chmod(path, entry.mode!);
  const time = utimeSeconds(entry.mtimeNs!);
  if (entry.type === 'symlink') await lutimes(path, time, time);
  else await utimes(path, time, time);
}
