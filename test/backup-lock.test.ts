// The store lock: always complete on disk (written aside, then linked into
// place), taken over when its owner is certainly gone (no such pid, another
// boot, a pid since reused), kept while its owner lives, and released only
// by its owner. Of several processes finding the same stale lock at once,
// exactly one takes it over (the others see BACKUP_LOCKED).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDirectoryStore, backup, prune, restore, verify } from '../lib/backup';
import { hostname } from 'node:os';
import { takeLockFile, processStartTime, UNREADABLE_LOCK_GRACE_MS } from '../lib/backup/lock-file';
import { scratchDir } from './support/files';

describe('store lock', () => {
  const scratch = scratchDir('librsync-backup-lock-');
  afterAll(() => scratch.remove());
  let round = 0;
  const lockPath = (): string => scratch.path(`lock-${round++}`);
  const age = (path: string, ms: number): void => {
    const when = (Date.now() - ms) / 1000;
    utimesSync(path, when, when);
  };

  it('lets exactly one of three takers replace a stale lock', async () => {
    const holders: number[] = [];
    for (let i = 0; i < 40; i++) {
      const path = lockPath();
      writeFileSync(path, JSON.stringify({ pid: 999_999_999, host: hostname(), since: 'then' })); // no such process
      const results = await Promise.allSettled([takeLockFile(path), takeLockFile(path), takeLockFile(path)]);
      holders.push(results.filter((r) => r.status === 'fulfilled').length);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'BACKUP_LOCKED' });
        else await r.value.release();
      }
    }
    expect(holders.filter((n) => n !== 1)).toEqual([]);
    expect(readdirSync(scratch.dir)).toEqual([]);
  });

  it('writes a complete owner record, readable by its owner only', async () => {
    const path = lockPath();
    const lock = await takeLockFile(path);
    const owner = JSON.parse(readFileSync(path, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(owner.start).toBe(processStartTime(process.pid));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await lock.release();
    expect(readdirSync(scratch.dir).filter((n) => n.startsWith(path.split('/').pop()!))).toEqual([]);
  });

  it('keeps a lock whose owner lives, and says who holds it', async () => {
    const path = lockPath();
    const child = spawn('sleep', ['30']);
    try {
      writeFileSync(path, JSON.stringify({ id: '0123456789abcdef', pid: child.pid, host: hostname(), since: 'now', start: processStartTime(child.pid!) }));
      await expect(takeLockFile(path)).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: expect.stringContaining(`process ${child.pid} on ${hostname()}`) });
    } finally {
      child.kill();
    }
  });

  it('takes over a lock whose pid now belongs to a process that started later', async () => {
    const path = lockPath();
    const child = spawn('sleep', ['30']);
    try {
      const start = String(Number(processStartTime(child.pid!)) - 1000);
      writeFileSync(path, JSON.stringify({ id: '0123456789abcdef', pid: child.pid, host: hostname(), since: 'then', start }));
      const lock = await takeLockFile(path);
      expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
      await lock.release();
    } finally {
      child.kill();
    }
  });

  it('takes over a lock written before the last boot, even by a pid alive now', async () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ id: '0123456789abcdef', pid: process.ppid, host: hostname(), since: 'then', boot: 'another-boot' }));
    const lock = await takeLockFile(path);
    await lock.release();
  });

  it('takes over a lock left by an earlier process with our own pid (a container pid 1)', async () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ id: '0123456789abcdef', pid: process.pid, host: hostname(), since: 'then', start: '1' }));
    const lock = await takeLockFile(path);
    // While we hold it, a second taker in this process is refused, not let in.
    await expect(takeLockFile(path)).rejects.toMatchObject({ code: 'BACKUP_LOCKED' });
    await lock.release();
  });

  it('trusts an unreadable (empty or damaged) lock for a grace period, then takes it over', async () => {
    for (const content of ['', '{"pid":', 'garbage']) {
      const path = lockPath();
      writeFileSync(path, content);
      await expect(takeLockFile(path)).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: expect.stringContaining('unreadable') });
      age(path, UNREADABLE_LOCK_GRACE_MS + 1000);
      const lock = await takeLockFile(path);
      await lock.release();
    }
  });

  it('never takes over a lock of another host, and says how to remove it', async () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ id: '0123456789abcdef', pid: 999_999_999, host: 'elsewhere.example', since: 'then' }));
    await expect(takeLockFile(path)).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: expect.stringContaining(`remove ${path}`) });
  });

  it('release leaves alone a lock that another process has taken since', async () => {
    const path = lockPath();
    const lock = await takeLockFile(path);
    const theirs = JSON.stringify({ id: 'fedcba9876543210', pid: 999_999_999, host: 'elsewhere.example', since: 'now' });
    writeFileSync(path, theirs);
    await lock.release();
    expect(readFileSync(path, 'utf8')).toBe(theirs);
  });

  it('removes owner records that killed takers left behind', async () => {
    const path = lockPath();
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    // Killed before it wrote a byte, by a pid that is gone: removed at once.
    const empty = `${path}.${tag}-999999999-00112233aabbccdd.tmp`;
    writeFileSync(empty, '');
    // Of another host (or a live pid): only once older than the grace period.
    const foreign = `${path}.0badcafe-1-44556677aabbccdd.tmp`;
    writeFileSync(foreign, '{}');
    const recent = `${path}.0badcafe-1-8899aabbccddeeff.tmp`;
    writeFileSync(recent, '{}');
    age(foreign, UNREADABLE_LOCK_GRACE_MS + 1000);
    const lock = await takeLockFile(path);
    await lock.release();
    const left = readdirSync(scratch.dir).filter((n) => n.startsWith(path.split('/').pop()!));
    expect(left).toEqual([recent.split('/').pop()]);
  });
});

describe('readers and prune', () => {
  const scratch = scratchDir('librsync-reader-lock-');
  afterAll(() => scratch.remove());
  let n = 0;

  /** A store with one backup, and a process (sleep) standing in for another live program. */
  async function storeWithBackup(): Promise<string> {
    const src = scratch.path(`src-${n}`);
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'data');
    const store = scratch.path(`store-${n++}`);
    await backup(src, store, { name: 'n' });
    return store;
  }

  function record(owner: object): string {
    return JSON.stringify({ id: '0123456789abcdef', host: hostname(), since: 'now', ...owner });
  }

  it('prune waits for readers to finish, and is BACKUP_LOCKED, naming one, if they do not', async () => {
    const store = await storeWithBackup();
    const child = spawn('sleep', ['30']);
    try {
      mkdirSync(join(store, 'readers'));
      const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
      writeFileSync(join(store, 'readers', `${tag}-${child.pid}-0123456789abcdef.json`), record({ pid: child.pid, kind: 'reader', start: processStartTime(child.pid!) }));
      // It waits (here half a second) for the reader to finish, then gives up.
      const started = Date.now();
      await expect(prune(new LocalDirectoryStore(store, 500), { keepChains: 1 })).rejects.toMatchObject({
        code: 'BACKUP_LOCKED',
        message: expect.stringContaining(`a restore or verify (process ${child.pid}`),
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(existsSync(join(store, 'lock'))).toBe(false); // given back
      // A dry run only reads.
      await prune(store, { keepChains: 1, dryRun: true });
    } finally {
      child.kill();
    }
    // Once the reader is gone its record is ignored and removed.
    await new Promise((resolve) => child.once('exit', resolve));
    await prune(store, { keepChains: 1 });
    expect(readdirSync(join(store, 'readers'))).toEqual([]);
  });

  it('prune goes ahead once the readers it waited for have finished', async () => {
    const store = await storeWithBackup();
    const reading = await new LocalDirectoryStore(store).lock('reader');
    const pruning = prune(new LocalDirectoryStore(store, 10_000), { keepChains: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Meanwhile no new reader may start.
    await expect(verify(store, {})).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: expect.stringContaining('a prune') });
    await reading.release();
    await expect(pruning).resolves.toMatchObject({ removed: [] });
  });

  it('a reader refuses to start while a prune holds the store, and goes on beside a backup', async () => {
    const store = await storeWithBackup();
    const child = spawn('sleep', ['30']);
    try {
      writeFileSync(join(store, 'lock'), record({ pid: child.pid, kind: 'exclusive', start: processStartTime(child.pid!) }));
      await expect(verify(store, {})).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: expect.stringContaining('a prune') });
      await expect(restore(store, scratch.path(`out-${n++}`), {})).rejects.toMatchObject({ code: 'BACKUP_LOCKED' });
      expect(readdirSync(join(store, 'readers'))).toEqual([]);
      writeFileSync(join(store, 'lock'), record({ pid: child.pid, kind: 'writer', start: processStartTime(child.pid!) }));
      expect((await verify(store, {})).ok).toBe(true);
      await restore(store, scratch.path(`out-${n++}`), {});
    } finally {
      child.kill();
    }
  });
});
