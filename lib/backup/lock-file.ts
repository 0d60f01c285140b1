// An exclusive lock as a file created with O_EXCL holding the owner's pid
// and host. A lock whose process is gone (same host, no such pid) is stale:
// it is replaced, so a killed backup never blocks the next one. Replacing
// happens under a second O_EXCL file (LOCK.takeover), looking at the lock
// again: of several processes finding the same stale lock, one replaces it
// and none removes the fresh lock another has just taken.
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

/** The lock's owner; undefined when unreadable; 'missing' when there is no lock file. */
async function readOwner(path: string): Promise<LockOwner | undefined | 'missing'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
  try {
    return JSON.parse(text) as LockOwner;
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

/** Whether the lock at `path` is gone, stale, or held (with the error saying by whom). */
async function lockState(path: string, me: LockOwner): Promise<'missing' | 'stale' | LibrsyncError> {
  const owner = await readOwner(path);
  if (owner === 'missing') return 'missing';
  if (owner === undefined && (await ageMs(path)) < UNREADABLE_LOCK_GRACE_MS) {
    return new LibrsyncError('BACKUP_LOCKED', `the store is being locked by another process (${path})`);
  }
  const stale = owner === undefined || (owner.host === me.host && owner.pid !== process.pid && !processAlive(owner.pid));
  if (!stale) return new LibrsyncError('BACKUP_LOCKED', `the store is locked by process ${owner.pid} on ${owner.host} since ${owner.since} (${path})`);
  return 'stale';
}

/** Removes a stale lock, holding the takeover file meanwhile: no one else can remove or create the lock file then. */
async function removeStale(path: string, me: LockOwner): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    await (await open(guard, 'wx', 0o644)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A takeover file outlives its process only if that was killed within these few steps.
    if ((await ageMs(guard)) > UNREADABLE_LOCK_GRACE_MS) await unlink(guard).catch(() => undefined);
    throw new LibrsyncError('BACKUP_LOCKED', `another process is taking over the stale lock ${path}`);
  }
  try {
    const state = await lockState(path, me); // again: it may have been replaced since we looked
    if (state instanceof LibrsyncError) throw state;
    if (state === 'stale') await unlink(path);
  } finally {
    await unlink(guard).catch(() => undefined);
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
    const state = await lockState(path, me);
    if (state instanceof LibrsyncError) throw state;
    if (state === 'stale') await removeStale(path, me);
  }
  throw new LibrsyncError('BACKUP_LOCKED', `could not take the store lock ${path}`);
}
