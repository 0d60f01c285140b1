// Owner, mode, extended attributes (POSIX ACLs among them) and
// modification time of a restored path, never through a symlink: the path
// is opened with O_NOFOLLOW and owner, mode and attributes are set on the
// descriptor, times with utimensat(AT_SYMLINK_NOFOLLOW). A symlink gets its
// own owner, attributes and times and no mode (Linux has no lchmod).
// Ownership is set only by root (or to oneself). The order matters: chown
// clears set-id bits and security.capability, so it comes first; chmod
// rewrites an ACL's mask, and an ACL rewrites the group bits of the mode,
// so the attributes come after both; any of them changes ctime, not mtime,
// which comes last. Times come back to the nanosecond through the native
// addon, to the microsecond without it (libuv truncates utimes).
import { constants } from 'node:fs';
import { FileHandle, chmod, lchown, lstat, open } from 'node:fs/promises';
import { setFileTimes } from '../file-times';
import { ManifestEntry } from './manifest';
import { restoreXattrs } from './restore-xattrs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const BASE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function typeOf(stat: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSymbolicLink(): boolean }): string {
  return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isFIFO() ? 'fifo' : stat.isSymbolicLink() ? 'symlink' : 'other';
}

function replaced(path: string, entry: ManifestEntry, found: string): Error {
  return Object.assign(new Error(`ELOOP: ${path} is a ${found}, not the ${entry.type} restore made there (changed by someone else)`), {
    code: 'ELOOP',
    syscall: 'open',
    path,
  });
}

async function setOwner(chown: () => Promise<void>, entry: ManifestEntry, warn: (message: string) => void): Promise<void> {
  if (!isRoot && entry.uid !== process.getuid?.()) return;
  try {
    await chown();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    if (isRoot) warn(`cannot set owner ${entry.uid}:${entry.gid}: ${(err as Error).message}`);
  }
}

/**
 * `own`: the file's handle, open since restore created it (no one else can
 * have replaced it): used as it is, no second open.
 */
export async function applyMetadata(path: string, entry: ManifestEntry, warn: (message: string) => void, own?: FileHandle): Promise<void> {
  if (own) {
    await setOwner(() => own.chown(entry.uid!, entry.gid!), entry, warn);
    await own.chmod(entry.mode!);
    await restoreXattrs(own.fd, entry, warn);
  } else if (entry.type === 'symlink') {
    await setOwner(() => lchown(path, entry.uid!, entry.gid!), entry, warn);
    await restoreXattrs(path, entry, warn);
  } else {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, BASE_FLAGS | (entry.type === 'dir' ? constants.O_DIRECTORY : 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR') throw replaced(path, entry, 'symlink or other file');
      if (code !== 'EACCES' && code !== 'EPERM') throw err;
    }
    if (handle) {
      try {
        const found = typeOf(await handle.stat());
        if (found !== entry.type) throw replaced(path, entry, found);
        await setOwner(() => handle!.chown(entry.uid!, entry.gid!), entry, warn);
        await handle.chmod(entry.mode!);
        await restoreXattrs(handle.fd, entry, warn);
      } finally {
        await handle.close();
      }
    } else {
      // Not even readable by us (an existing directory of TARGET under --overwrite): by path, once lstat says it is no symlink.
      const found = typeOf(await lstat(path));
      if (found !== entry.type) throw replaced(path, entry, found);
      await setOwner(() => lchown(path, entry.uid!, entry.gid!), entry, warn);
      await chmod(path, entry.mode!);
      await restoreXattrs(path, entry, warn);
    }
  }
  await setFileTimes(path, BigInt(entry.mtimeNs!), { noFollow: true });
}
