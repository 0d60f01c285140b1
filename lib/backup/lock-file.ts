// An exclusive lock as a file created with O_EXCL holding the owner's pid
// and host. A lock whose process is gone (same host, no such pid) is stale:
// it is replaced, so a killed backup never blocks the next one.
import { hostname } from 'node:os';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { LibrsyncError } from '../errors';
import { StoreLock } from './store';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file with no readable owner is being written right now, or was left half-written by a crash. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

async function ageMs(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return Infinity;
  }
}

export async function takeLockFile(path: string): Promise<StoreLock> {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(path);
    if (owner === undefined && (await ageMs(path)) < UNREADABLE_LOCK_GRACE_MS) {
      throw new LibrsyncError('BACKUP_LOCKED', `the store is being locked by another process (${path})`);
    }
    const stale = owner === undefined || (owner.host === me.host && owner.pid !== process.pid && !processAlive(owner.pid));
    if (!stale) {
      throw new LibrsyncError('BACKUP_LOCKED', `the store is locked by process ${owner.pid} on ${owner.host} since ${owner.since} (${path})`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new LibrsyncError('BACKUP_LOCKED', `could not take the store lock ${path}`);
}
