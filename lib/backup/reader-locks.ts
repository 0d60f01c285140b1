// Readers (restore, verify) announce themselves with a record each in
// STORE/readers/, so that prune, which removes chains, never pulls a
// backup from under them; backups only add, and readers ignore what is
// not committed, so the two never wait for each other. A reader writes its
// record, then looks at the store lock: if a prune holds it, the reader
// withdraws (BACKUP_LOCKED). A prune takes the store lock first, so no new
// reader starts, then waits for the readers already there to finish (up to
// READERS_WAIT_MS, else it gives the lock back: BACKUP_LOCKED, saying who
// reads): a steady stream of restores cannot starve it. Whichever comes
// second sees the other. Records of processes that are gone are ignored,
// and removed by the next prune.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LibrsyncError } from '../errors';
import { lockHolder } from './lock-file';
import { LockOwner, UNREADABLE_LOCK_GRACE_MS, ageMs, describeOwner, heldHere, hostTag, isLocal, newOwner, ownerGone, processAlive, readOwner } from './lock-owner';
import { StoreLock } from './store';

const RECORD = /^\.?([0-9a-f]{8})-(\d+)-([0-9a-f]{16})\.json(\.tmp)?$/;
/** A store that cannot be written (read-only media, another user's store): readers go on unannounced, with a warning. */
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

async function writeRecord(dir: string, name: string, owner: LockOwner): Promise<void> {
  // Not recursive: the store exists, and a recursive mkdir says ENOENT on a read-only file system.
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? undefined : Promise.reject(err)));
  const temp = join(dir, `.${name}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
}

export async function takeReaderLock(dir: string, lockPath: string): Promise<StoreLock> {
  const id = randomBytes(8).toString('hex');
  const name = `${hostTag}-${process.pid}-${id}.json`;
  const record = join(dir, name);
  try {
    await writeRecord(dir, name, newOwner(id, 'reader'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!READ_ONLY.has(code)) throw err;
    return {
      release: async () => undefined,
      warning: `could not announce this reader in the store (${code}): a prune running meanwhile could make it fail`,
    };
  }
  heldHere.add(id);
  const release = async (): Promise<void> => {
    heldHere.delete(id);
    await unlink(record).catch(() => undefined);
  };
  const holder = await lockHolder(lockPath).catch(() => undefined);
  if (holder?.kind === 'exclusive') {
    await release();
    throw new LibrsyncError('BACKUP_LOCKED', `the store is locked by ${describeOwner(holder)}: try again once it has finished`);
  }
  return { release };
}

/** Readers that are (or may be) alive; records of processes certainly gone are removed. */
export async function liveReaders(dir: string): Promise<LockOwner[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
  const live: LockOwner[] = [];
  for (const name of names) {
    const m = RECORD.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    const pid = Number(m[2]);
    const deadByName = m[1] === hostTag && pid !== process.pid && !processAlive(pid);
    const owner = deadByName || m[4] ? undefined : await readOwner(file);
    let gone: boolean;
    if (deadByName) gone = true;
    else if (owner === 'missing') continue;
    else if (owner === undefined) gone = (await ageMs(file)) > UNREADABLE_LOCK_GRACE_MS; // a temporary, or damaged
    else gone = isLocal(owner) && ownerGone(owner);
    if (gone) await unlink(file).catch(() => undefined);
    else if (owner !== undefined && owner !== 'missing') live.push(owner);
  }
  return live;
}

/** How long a prune waits for the readers it found to finish. */
export const READERS_WAIT_MS = 30_000;

/** Resolves once no live reader remains; BACKUP_LOCKED (naming one) if some still read after `waitMs`. */
export async function awaitNoReaders(dir: string, waitMs = READERS_WAIT_MS): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = await liveReaders(dir);
    if (live.length === 0) return;
    if (Date.now() >= deadline) {
      const more = live.length > 1 ? ` and ${live.length - 1} more` : '';
      throw new LibrsyncError('BACKUP_LOCKED', `the store is being read by ${describeOwner(live[0])}${more}: try again once it has finished`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
