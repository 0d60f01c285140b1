// The store's one lock, taken by a backup (a writer) or a prune (exclusive;
// it also keeps readers out, see reader-locks.ts): a file holding its owner
// (lock-owner.ts). The owner is written to a temporary file, fsync'ed and
// then link()ed to the lock's name, which fails with EEXIST if the lock is
// held: a lock file is therefore always complete, never empty or
// half-written, even when the disk is full.
//
// A lock whose process is gone (same host: no such pid, another boot, or
// a pid reused by a process that started later) is stale and replaced, so
// a killed backup never blocks the next one. Replacing happens under a
// second O_EXCL file (LOCK.takeover), looking at the lock again: of several
// processes finding the same stale lock, one replaces it and none removes
// the fresh lock another has just taken. A lock from another host cannot
// be judged from here and must be removed by hand.
import { randomBytes } from 'node:crypto';
import { link, open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from '../atomic-file';
import { LibrsyncError } from '../errors';
import {
  LockKind,
  LockOwner,
  UNREADABLE_LOCK_GRACE_MS,
  ageMs,
  describeOwner,
  heldHere,
  hostTag,
  isLocal,
  newOwner,
  ownerGone,
  processAlive,
  readOwner,
} from './lock-owner';
import { StoreLock } from './store';

export { UNREADABLE_LOCK_GRACE_MS, processStartTime } from './lock-owner';

/** Whether the lock at `path` is gone, stale, or held (with the error saying by whom). */
async function lockState(path: string): Promise<'missing' | 'stale' | LibrsyncError> {
  const owner = await readOwner(path);
  if (owner === 'missing') return 'missing';
  if (owner === undefined) {
    if ((await ageMs(path)) > UNREADABLE_LOCK_GRACE_MS) return 'stale';
    return new LibrsyncError('BACKUP_LOCKED', `the store lock ${path} is unreadable; it is taken over ${UNREADABLE_LOCK_GRACE_MS / 1000} s after it was written`);
  }
  const local = isLocal(owner);
  if (local && ownerGone(owner)) return 'stale';
  const where = local ? '' : `; if that process is gone, remove ${path}`;
  return new LibrsyncError('BACKUP_LOCKED', `the store is locked by ${describeOwner(owner)} (${path})${where}`);
}

/** The live owner of the lock at `path`, if any (a stale or unreadable lock has none). */
export async function lockHolder(path: string): Promise<LockOwner | undefined> {
  const owner = await readOwner(path);
  if (owner === 'missing' || owner === undefined) return undefined;
  return isLocal(owner) && ownerGone(owner) ? undefined : owner;
}

/** Removes a stale lock, holding the takeover file meanwhile: no one else can remove or create the lock file then. */
async function removeStale(path: string): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    await (await open(guard, 'wx', 0o600)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A takeover file outlives its process only if that was killed within these few steps.
    if ((await ageMs(guard)) > UNREADABLE_LOCK_GRACE_MS) await unlink(guard).catch(() => undefined);
    throw new LibrsyncError('BACKUP_LOCKED', `another process is taking over the stale lock ${path}`);
  }
  try {
    const state = await lockState(path); // again: it may have been replaced since we looked
    if (state instanceof LibrsyncError) throw state;
    if (state === 'stale') await unlink(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Owner files of takers: `lock.HOST-PID-ID.tmp`, judged by name. */
const OWNER_FILE = /^([0-9a-f]{8})-(\d+)-([0-9a-f]{16})\.tmp$/;

/**
 * Owner files of killed takers (`lock.HOST-PID-ID.tmp`, linked or not, even
 * empty): removed once their process is gone. One of another host, or of
 * a live pid, is left until it is older than the grace period.
 */
async function removeOldOwnerFiles(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    const m = name.startsWith(prefix) ? OWNER_FILE.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const pid = Number(m[2]);
    const file = join(dirname(path), name);
    const gone = m[1] === hostTag && pid !== process.pid && !processAlive(pid);
    if (gone || (await ageMs(file)) > UNREADABLE_LOCK_GRACE_MS) await unlink(file).catch(() => undefined);
  }
}

async function writeOwnerFile(file: string, owner: LockOwner): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Takes the store's one lock for a writer (backup) or for exclusive use (prune, which also excludes readers). */
export async function takeLockFile(path: string, kind: Exclude<LockKind, 'reader'> = 'writer'): Promise<StoreLock> {
  const id = randomBytes(8).toString('hex');
  const owner = newOwner(id, kind);
  const ownerFile = `${path}.${hostTag}-${process.pid}-${id}.tmp`;
  await removeOldOwnerFiles(path);
  try {
    await writeOwnerFile(ownerFile, owner);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(ownerFile, path);
        heldHere.add(id);
        await fsyncDirectory(dirname(path));
        return { release: () => releaseLock(path, id) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          await releaseLock(path, id);
          throw err;
        }
      }
      const state = await lockState(path);
      if (state instanceof LibrsyncError) throw state;
      if (state === 'stale') await removeStale(path);
    }
  } finally {
    await unlink(ownerFile).catch(() => undefined);
  }
  throw new LibrsyncError('BACKUP_LOCKED', `could not take the store lock ${path}`);
}

/** Removes the lock if it is still ours (a lock another process took over is theirs). */
async function releaseLock(path: string, id: string): Promise<void> {
  heldHere.delete(id);
  const owner = await readOwner(path);
  if (owner === 'missing' || owner?.id !== id) return;
  await unlink(path).catch(() => undefined);
}
