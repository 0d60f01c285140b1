// An exclusive lock as a file holding its owner: a random id, pid, host,
// the host's boot id and the process's start time. The owner is written to
// a temporary file, fsync'ed and then link()ed to the lock's name, which
// fails with EEXIST if the lock is held: a lock file is therefore always
// complete, never empty or half-written, even when the disk is full.
//
// A lock whose process is gone (same host: no such pid, another boot, or
// a pid reused by a process that started later) is stale and replaced, so
// a killed backup never blocks the next one. Replacing happens under a
// second O_EXCL file (LOCK.takeover), looking at the lock again: of several
// processes finding the same stale lock, one replaces it and none removes
// the fresh lock another has just taken. A lock from another host cannot
// be judged from here and must be removed by hand.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { link, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LibrsyncError } from '../errors';
import { StoreLock } from './store';

export interface LockOwner {
  id: string;
  pid: number;
  host: string;
  since: string;
  /** /proc/sys/kernel/random/boot_id, where there is one. */
  boot?: string;
  /** The process's start time in clock ticks since boot (/proc/PID/stat), where there is one. */
  start?: string;
}

/** A lock file with no readable owner (damaged, or written by an old version that wrote in place) is trusted this long. */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const bootId = readText('/proc/sys/kernel/random/boot_id');

/** Field 22 of /proc/PID/stat; the command name before it may hold spaces and parentheses. */
export function processStartTime(pid: number): string | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ids of the locks this process holds (several stores, or one store taken twice). */
const heldHere = new Set<string>();
const myStart = processStartTime(process.pid);

/** Whether the process that wrote `owner` on this host is certainly gone. */
function ownerGone(owner: LockOwner): boolean {
  if (owner.boot !== undefined && bootId !== undefined && owner.boot !== bootId) return true;
  // Our own pid on a lock we do not hold: an earlier process with the same pid (a container's pid 1).
  if (owner.pid === process.pid) return !heldHere.has(owner.id) && owner.start !== undefined && owner.start !== myStart;
  if (!processAlive(owner.pid)) return true;
  // The pid is in use: by the owner, or by a later process that was given the same number.
  const start = owner.start === undefined ? undefined : processStartTime(owner.pid);
  return start !== undefined && start !== owner.start;
}

/** The lock's owner; undefined when unreadable; 'missing' when there is no lock file. */
async function readOwner(path: string): Promise<LockOwner | undefined | 'missing'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(owner?.pid) && typeof owner.host === 'string' ? owner : undefined;
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
async function lockState(path: string): Promise<'missing' | 'stale' | LibrsyncError> {
  const owner = await readOwner(path);
  if (owner === 'missing') return 'missing';
  if (owner === undefined) {
    if ((await ageMs(path)) > UNREADABLE_LOCK_GRACE_MS) return 'stale';
    return new LibrsyncError('BACKUP_LOCKED', `the store lock ${path} is unreadable; it is taken over ${UNREADABLE_LOCK_GRACE_MS / 1000} s after it was written`);
  }
  const local = owner.host === hostname();
  if (local && ownerGone(owner)) return 'stale';
  const where = local ? '' : `; if that process is gone, remove ${path}`;
  return new LibrsyncError('BACKUP_LOCKED', `the store is locked by process ${owner.pid} on ${owner.host} since ${owner.since} (${path})${where}`);
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

/** Names the owner file of a taker: our host (a digest of its name), pid and the lock's id, so it can be judged without reading it. */
const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
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

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function takeLockFile(path: string): Promise<StoreLock> {
  const id = randomBytes(8).toString('hex');
  const owner: LockOwner = { id, pid: process.pid, host: hostname(), since: new Date().toISOString(), boot: bootId, start: myStart };
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
