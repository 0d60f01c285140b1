// Owner, mode and modification time of a restored path. Ownership is set
// only by root (or to oneself); chown comes before chmod because it clears
// set-id bits. Times come back to the nanosecond through the native addon
// (utimensat), to the microsecond without it (libuv truncates utimes).
// Symlinks get their own times and no chmod (Linux has no lchmod).
import { chmod, lchown } from 'node:fs/promises';
import { setFileTimes } from '../file-times';
import { ManifestEntry } from './manifest';

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
  await setFileTimes(path, BigInt(entry.mtimeNs!), { noFollow: entry.type === 'symlink' });
}
