// What a directory tree looks like, for comparing a restore with the
// source as it was at backup time: type, mode, owner, mtime (to the
// nanosecond with the native addon, else to the microsecond: what
// utimes can restore), size, content hash, symlink target and which
// paths share an inode.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { nanosecondTimes } from '../../lib/file-times';

const timeUnit = nanosecondTimes() ? 1n : 1000n;

export interface PathState {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds, or microseconds where times cannot be set more exactly. */
  mtime: string;
  size?: number;
  sha256?: string;
  target?: string;
  /** For paths sharing an inode: the first such path. */
  linkGroup?: string;
}

export type TreeSnapshot = Record<string, PathState>;

export function snapshotTree(root: string, options: { skipRootTime?: boolean } = {}): TreeSnapshot {
  const out: TreeSnapshot = {};
  const inodes = new Map<bigint, string>();
  const visit = (abs: string, rel: string): void => {
    const s = lstatSync(abs, { bigint: true });
    const type = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFIFO() ? 'fifo' : s.isFile() ? 'file' : 'other';
    const state: PathState = { type, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtime: (s.mtimeNs / timeUnit).toString() };
    if (rel === '' && options.skipRootTime) state.mtime = '';
    if (type === 'file') {
      const data = readFileSync(abs);
      state.size = data.length;
      state.sha256 = createHash('sha256').update(data).digest('hex');
      if (s.nlink > 1n) {
        state.linkGroup = inodes.get(s.ino) ?? rel;
        inodes.set(s.ino, state.linkGroup);
      }
    }
    if (type === 'symlink') state.target = readlinkSync(abs);
    out[rel === '' ? '.' : rel] = state;
    if (type === 'dir') for (const name of readdirSync(abs).sort()) visit(join(abs, name), rel === '' ? name : `${rel}/${name}`);
  };
  visit(root, '');
  return out;
}

/** The snapshot restricted to one subtree (paths kept as they are). */
export function subtree(snapshot: TreeSnapshot, root: string): TreeSnapshot {
  return Object.fromEntries(Object.entries(snapshot).filter(([p]) => p === root || p.startsWith(`${root}/`)));
}

/** SHA-256 of a file or of bytes: compares big contents quickly (jest's toEqual on Buffers is slow) with a readable failure. */
export function digestOf(pathOrBytes: string | Buffer): string {
  return createHash('sha256')
    .update(typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes)
    .digest('hex');
}
