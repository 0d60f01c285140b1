// Locks in an object store without conditional writes (Swift's s3api
// answers If-None-Match: * with 501), as restic does: each taker PUTs a
// lock object of its own (`locks/ID.json`: id, kind, host, pid, boot id,
// since, refreshed), waits a moment, lists the locks and reads them; a
// taker that sees a conflicting lock removes its own and backs off. Two
// takers at once may both see each other: both back off and try again
// after a random delay, so one of them ends up alone (a lock that was
// there before we came makes us fail at once: BACKUP_LOCKED).
//
// Kinds conflict as in the local store: a writer (backup) with writers and
// exclusive locks; an exclusive lock (prune) with everything, waiting up
// to readersWaitMs for readers (restore, verify) already there to finish;
// a reader only with exclusive locks.
//
// A held lock is rewritten every refreshMs (5 min); one not refreshed for
// staleAfterMs (30 min, by the lock's own clock: keep clocks in sync) is
// stale and removed by the next taker, as is one of a process that is
// certainly gone on this host (lock-owner.ts). This relies on a listing
// showing a lock written moments before it: true of Amazon S3 (strongly
// consistent since 2020) and of Swift's listings but under heavy load.
import { randomBytes } from 'node:crypto';
import { LibrsyncError } from '../../errors';
import { LockKind, LockOwner, UNREADABLE_LOCK_GRACE_MS, describeOwner, heldHere, isLocal, newOwner, ownerGone, releasedHere } from '../lock-owner';
import { StoreLock } from '../store';

export const LOCK_REFRESH_MS = 5 * 60_000;
export const LOCK_STALE_AFTER_MS = 30 * 60_000;
/** How long a taker waits between writing its lock and listing the others. */
export const LOCK_SETTLE_MS = 300;
const LOCK_ATTEMPTS = 6;

export interface LockObjectIO {
  /** Human-readable store location, for messages. */
  location: string;
  /** Full object key of the locks folder, ending in '/'. */
  prefix: string;
  put(key: string, text: string): Promise<void>;
  /** The object's text, or undefined when it is gone. */
  get(key: string): Promise<string | undefined>;
  list(prefix: string): Promise<{ key: string; lastModified?: Date }[]>;
  remove(key: string): Promise<void>;
}

export interface LockTiming {
  refreshMs?: number;
  staleAfterMs?: number;
  settleMs?: number;
  /** How long an exclusive lock waits for readers to finish. */
  readersWaitMs?: number;
}

export interface S3LockRecord extends LockOwner {
  /** When the owner last rewrote it. */
  refreshed: string;
}

function conflicts(mine: LockKind, theirs: LockKind): boolean {
  if (mine === 'exclusive' || theirs === 'exclusive') return true;
  return mine === 'writer' && theirs === 'writer';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SeenLock {
  key: string;
  owner: S3LockRecord;
}

/** The live locks besides ours; stale ones are removed on the way. */
async function liveLocks(io: LockObjectIO, ownKey: string, staleAfterMs: number): Promise<SeenLock[]> {
  const live: SeenLock[] = [];
  for (const { key, lastModified } of await io.list(io.prefix)) {
    if (key === ownKey || !key.endsWith('.json')) continue;
    const text = await io.get(key);
    if (text === undefined) continue; // released meanwhile
    let owner: S3LockRecord | undefined;
    try {
      const parsed = JSON.parse(text) as S3LockRecord;
      if (Number.isSafeInteger(parsed?.pid) && typeof parsed.host === 'string' && typeof parsed.refreshed === 'string') owner = parsed;
    } catch {
      // damaged: judged by its age below
    }
    const age = Date.now() - (owner ? Date.parse(owner.refreshed) : (lastModified?.getTime() ?? 0));
    const stale = owner ? age > staleAfterMs || releasedHere.has(owner.id) || (isLocal(owner) && ownerGone(owner)) : age > UNREADABLE_LOCK_GRACE_MS;
    if (stale) {
      await io.remove(key);
      if (owner) releasedHere.delete(owner.id);
      continue;
    }
    // An unreadable lock that is not yet old counts as the strictest kind.
    live.push({ key, owner: owner ?? { id: key, pid: 0, host: 'unknown', since: '', refreshed: '', kind: 'exclusive' } });
  }
  return live;
}

function lockedBy(io: LockObjectIO, seen: SeenLock, reading = false): LibrsyncError {
  const what = seen.owner.host === 'unknown' ? `an unreadable lock ${seen.key}` : describeOwner(seen.owner);
  const stale = `; a lock not refreshed for ${LOCK_STALE_AFTER_MS / 60_000} min is stale and taken over`;
  return new LibrsyncError('BACKUP_LOCKED', `${io.location} is ${reading ? 'being read' : 'locked'} by ${what}${stale}: try again once it has finished`);
}

export async function takeS3Lock(io: LockObjectIO, kind: LockKind, timing: LockTiming = {}): Promise<StoreLock> {
  const refreshMs = timing.refreshMs ?? LOCK_REFRESH_MS;
  const staleAfterMs = timing.staleAfterMs ?? LOCK_STALE_AFTER_MS;
  const settleMs = timing.settleMs ?? LOCK_SETTLE_MS;
  const id = randomBytes(8).toString('hex');
  const owner = newOwner(id, kind);
  const key = `${io.prefix}${id}.json`;
  const write = () => io.put(key, `${JSON.stringify({ ...owner, refreshed: new Date().toISOString() } satisfies S3LockRecord)}\n`);
  const drop = async () => {
    heldHere.delete(id);
    // The SDK has retried; left behind, the lock is known stale here (releasedHere) and elsewhere after staleAfterMs.
    await io.remove(key).catch(() => releasedHere.add(id));
  };

  let rivals: SeenLock[] = [];
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    const wroteAt = Date.now();
    // Each attempt's lock says when it was written: a rival judges by it whether ours came first (a lock written at
    // our first attempt and dropped since must not look established at the next).
    owner.since = new Date(wroteAt).toISOString();
    await write();
    heldHere.add(id);
    try {
      await sleep(settleMs);
      const others = (await liveLocks(io, key, staleAfterMs)).filter((seen) => conflicts(kind, seen.owner.kind ?? 'writer'));
      const blocking = others.filter((seen) => !(kind === 'exclusive' && seen.owner.kind === 'reader'));
      if (blocking.length === 0) {
        if (others.length > 0) await awaitReaders(io, key, staleAfterMs, timing.readersWaitMs ?? 30_000);
        return held(io, key, write, drop, refreshMs, staleAfterMs);
      }
      rivals = blocking;
    } catch (err) {
      await drop();
      throw err;
    }
    await drop();
    // A lock there before ours was surely seen by its taker: it holds the store.
    const established = rivals.find((seen) => Date.parse(seen.owner.since) < wroteAt - settleMs * 2);
    if (established) throw lockedBy(io, established);
    // Takers that started together all back off. So that one of them gets through, the one with the smallest id
    // comes back first and the others well after it, by when its lock looks established to them.
    const first = rivals.every((seen) => id < seen.owner.id);
    await sleep(first ? settleMs * (0.2 + Math.random() * 0.3) : settleMs * (3 + Math.random() * 2));
  }
  throw rivals.length > 0 ? lockedBy(io, rivals[0]) : new LibrsyncError('BACKUP_LOCKED', `could not lock ${io.location}`);
}

/** An exclusive lock, written: new readers back off; waits for those already reading. */
async function awaitReaders(io: LockObjectIO, ownKey: string, staleAfterMs: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const readers = (await liveLocks(io, ownKey, staleAfterMs)).filter((seen) => seen.owner.kind === 'reader');
    if (readers.length === 0) return;
    if (Date.now() >= deadline) throw lockedBy(io, readers[0], true);
    await sleep(250);
  }
}

/**
 * A taken lock, rewritten every refreshMs. It is lost, and `lost` aborts,
 * when its object is gone at a refresh (another taker judged it stale and
 * removed it) or when no refresh has succeeded for staleAfterMs minus one
 * refresh period (others may judge it stale any moment now). A failed
 * refresh is tried again at the next tick.
 */
function held(io: LockObjectIO, key: string, write: () => Promise<void>, drop: () => Promise<void>, refreshMs: number, staleAfterMs: number): StoreLock {
  const lost = new AbortController();
  let lastRefresh = Date.now();
  let refreshing = false;
  const lose = (why: string) => {
    if (!lost.signal.aborted) lost.abort(new LibrsyncError('BACKUP_LOCKED', `${io.location}: the lock was lost (${why}); stopped, nothing committed`));
  };
  const refresh = async () => {
    if (refreshing || lost.signal.aborted) return;
    refreshing = true;
    try {
      if ((await io.get(key)) === undefined) return lose('another process removed it as stale');
      await write();
      lastRefresh = Date.now();
    } catch {
      if (Date.now() - lastRefresh > staleAfterMs - refreshMs) lose(`not refreshed for ${Math.round((Date.now() - lastRefresh) / 1000)} s: the store did not answer`);
    } finally {
      refreshing = false;
    }
  };
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  let released = false;
  return {
    lost: lost.signal,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await drop();
    },
  };
}
