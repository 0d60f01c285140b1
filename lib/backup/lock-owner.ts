// Who holds a lock, and whether that process is certainly gone. An owner
// record names a random id, the pid, the host, the host's boot id and the
// process's start time: on the same host a record is stale when there is
// no such pid, it comes from another boot, or its pid now belongs to a
// process that started later. A record of another host cannot be judged.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';

export type LockKind = 'writer' | 'exclusive' | 'reader';

export interface LockOwner {
  id: string;
  pid: number;
  host: string;
  since: string;
  /** What the lock is for; absent in records of older versions (writers). */
  kind?: LockKind;
  /** /proc/sys/kernel/random/boot_id, where there is one. */
  boot?: string;
  /** The process's start time in clock ticks since boot (/proc/PID/stat), where there is one. */
  start?: string;
}

/** A record with no readable owner (damaged, or being written) is trusted this long. */
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

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ids of the locks this process holds (several stores, or one store taken twice). */
export const heldHere = new Set<string>();
/**
 * Ids of locks this process released whose object or file it could not
 * remove (an object store that failed the DELETE): certainly stale, so the
 * next taker in this process removes them rather than wait for them.
 */
export const releasedHere = new Set<string>();
const myStart = processStartTime(process.pid);

/** A digest of this host's name: names files of owners so they can be judged without reading them. */
export const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

export function newOwner(id: string, kind: LockKind): LockOwner {
  return { id, pid: process.pid, host: hostname(), since: new Date().toISOString(), kind, boot: bootId, start: myStart };
}

export function isLocal(owner: LockOwner): boolean {
  return owner.host === hostname();
}

/** Whether the process that wrote `owner` on this host is certainly gone. */
export function ownerGone(owner: LockOwner): boolean {
  if (owner.boot !== undefined && bootId !== undefined && owner.boot !== bootId) return true;
  // Our own pid on a lock we do not hold: an earlier process with the same pid (a container's pid 1).
  if (owner.pid === process.pid) return !heldHere.has(owner.id) && owner.start !== undefined && owner.start !== myStart;
  if (!processAlive(owner.pid)) return true;
  // The pid is in use: by the owner, or by a later process that was given the same number.
  const start = owner.start === undefined ? undefined : processStartTime(owner.pid);
  return start !== undefined && start !== owner.start;
}

/** The owner recorded at `path`; undefined when unreadable; 'missing' when there is no such file. */
export async function readOwner(path: string): Promise<LockOwner | undefined | 'missing'> {
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

export async function ageMs(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** What an owner is doing, for messages. */
export function describeOwner(owner: LockOwner): string {
  const what = owner.kind === 'exclusive' ? 'a prune' : owner.kind === 'reader' ? 'a restore or verify' : 'a backup';
  return `${what} (process ${owner.pid} on ${owner.host}, since ${owner.since})`;
}
