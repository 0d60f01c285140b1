// A lock that can be lost (an object store's: nothing but the refresh
// keeps it) aborts its holder: the lock object removed by another taker,
// or refreshes failing for nearly the stale time. The engine then stops
// and commits nothing, with BACKUP_LOCKED rather than an AbortError.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, list, LocalDirectoryStore, restore } from '../lib/backup';
import { LockObjectIO, takeS3Lock } from '../lib/backup/s3-store/s3-lock';
import { LockKind, StoreLock } from '../lib/backup/store';
import { scratchDir } from './support/files';
import { snapshotTree } from './support/tree-snapshot';

/**
 * Lock objects in a Map; `failing` makes every call throw, as an unreachable
 * store. With `latencyMs`, each call answers that much later (a listing as
 * it was when asked): takers then see each other as over a network.
 */
function memoryIO(latencyMs = 0): LockObjectIO & { objects: Map<string, string>; failing: boolean } {
  const later = () => (latencyMs > 0 ? new Promise((r) => setTimeout(r, latencyMs)) : Promise.resolve());
  const io = {
    location: 's3://bucket/store',
    prefix: 'store/locks/',
    objects: new Map<string, string>(),
    failing: false,
    check() {
      if (io.failing) throw new Error('connect ECONNREFUSED');
    },
    async put(key: string, text: string) {
      io.check();
      await later();
      io.objects.set(key, text);
    },
    async get(key: string) {
      io.check();
      const text = io.objects.get(key);
      await later();
      return text;
    },
    async list(prefix: string) {
      io.check();
      const found = [...io.objects.keys()].filter((k) => k.startsWith(prefix)).map((key) => ({ key }));
      await later();
      return found;
    },
    async remove(key: string) {
      io.check();
      await later();
      io.objects.delete(key);
    },
  };
  return io;
}

/** The store's paths and file contents (directory times change with any attempt, and are no part of a backup). */
const storeContents = (dir: string) =>
  Object.fromEntries(Object.entries(snapshotTree(dir)).map(([path, state]) => [path, state.type === 'dir' ? 'dir' : `${state.type} ${state.sha256 ?? state.target ?? ''}`]));

const lostWithin = (lock: StoreLock, ms: number): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not lost within ${ms} ms`)), ms);
    lock.lost!.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(lock.lost!.reason);
    });
  });

describe('S3 lock takers that start together', () => {
  it('let exactly one through, every time; the others get BACKUP_LOCKED', async () => {
    for (let round = 0; round < 30; round++) {
      const io = memoryIO(3);
      const timing = { refreshMs: 60_000, staleAfterMs: 600_000, settleMs: 20 };
      const results = await Promise.allSettled([takeS3Lock(io, 'writer', timing), takeS3Lock(io, 'writer', timing), takeS3Lock(io, 'exclusive', timing)]);
      const won = results.filter((r): r is PromiseFulfilledResult<StoreLock> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect({ round, won: won.length, lost: lost.map((r) => r.reason.code) }).toEqual({ round, won: 1, lost: ['BACKUP_LOCKED', 'BACKUP_LOCKED'] });
      expect(io.objects.size).toBe(1); // the winner's lock only
      await won[0].value.release();
    }
  });

  it('let one through even when their backoffs come out the same (no randomness to break the tie)', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const io = memoryIO(5);
      const timing = { refreshMs: 60_000, staleAfterMs: 600_000, settleMs: 20 };
      const results = await Promise.allSettled([takeS3Lock(io, 'writer', timing), takeS3Lock(io, 'writer', timing)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const won = results.find((r): r is PromiseFulfilledResult<StoreLock> => r.status === 'fulfilled')!;
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('BACKUP_LOCKED');
      await won.value.release();
    } finally {
      random.mockRestore();
    }
  });
});

describe('a lost S3 lock', () => {
  it('is lost when another taker removed its object', async () => {
    const io = memoryIO();
    const lock = await takeS3Lock(io, 'writer', { refreshMs: 50, staleAfterMs: 10_000, settleMs: 5 });
    expect(lock.lost?.aborted).toBe(false);
    io.objects.clear();
    const reason = await lostWithin(lock, 1000);
    expect(reason).toMatchObject({ code: 'BACKUP_LOCKED', message: 's3://bucket/store: the lock was lost (another process removed it as stale); stopped, nothing committed' });
    await lock.release();
  });

  it('is lost when no refresh succeeded for the stale time less one period, and not before', async () => {
    const io = memoryIO();
    const lock = await takeS3Lock(io, 'writer', { refreshMs: 50, staleAfterMs: 400, settleMs: 5 });
    const failedAt = Date.now();
    io.failing = true;
    const reason = (await lostWithin(lock, 2000)) as Error;
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(350);
    expect(reason).toMatchObject({ code: 'BACKUP_LOCKED' });
    expect(reason.message).toMatch(/^s3:\/\/bucket\/store: the lock was lost \(not refreshed for \d+ s: the store did not answer\); stopped, nothing committed$/);
    io.failing = false;
    await lock.release();
  });

  it('a lock whose removal failed on release does not block this process\'s next taker, which removes it', async () => {
    const io = memoryIO();
    const timing = { refreshMs: 60_000, staleAfterMs: 600_000, settleMs: 5 };
    const first = await takeS3Lock(io, 'writer', timing);
    const [firstKey] = io.objects.keys();
    io.failing = true; // the DELETE fails through every retry
    await first.release();
    io.failing = false;
    expect([...io.objects.keys()]).toEqual([firstKey]);
    const second = await takeS3Lock(io, 'writer', timing);
    expect(io.objects.has(firstKey)).toBe(false);
    expect(io.objects.size).toBe(1);
    await second.release();
    expect(io.objects.size).toBe(0);
  });

  it('keeps a lock whose refreshes succeed, rewriting its time', async () => {
    const io = memoryIO();
    const lock = await takeS3Lock(io, 'reader', { refreshMs: 30, staleAfterMs: 200, settleMs: 5 });
    const [key] = io.objects.keys();
    const first = JSON.parse(io.objects.get(key)!).refreshed;
    await new Promise((r) => setTimeout(r, 400));
    expect(lock.lost?.aborted).toBe(false);
    expect(JSON.parse(io.objects.get(key)!).refreshed > first).toBe(true);
    await lock.release();
    expect(io.objects.size).toBe(0);
  });
});

/** A local store whose locks the test can declare lost. */
class LosableStore extends LocalDirectoryStore {
  readonly losers: AbortController[] = [];
  override async lock(kind?: LockKind): Promise<StoreLock> {
    const inner = await super.lock(kind);
    const lost = new AbortController();
    this.losers.push(lost);
    return { ...inner, release: () => inner.release(), lost: lost.signal };
  }
  loseLocks(): void {
    for (const l of this.losers) l.abort(Object.assign(new Error('the lock was lost (test)'), { code: 'BACKUP_LOCKED' }));
  }
}

describe('the engine under a lost lock', () => {
  const scratch = scratchDir('librsync-lock-lost-');
  afterAll(() => scratch.remove());

  it('stops a backup, commits nothing and leaves the earlier backup whole', async () => {
    const src = scratch.path('src');
    const storeDir = scratch.path('store');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(src);
    for (let i = 0; i < 200; i++) writeFileSync(join(src, `f${i}`), `file ${i}\n`.repeat(100));
    await backup(src, storeDir);
    const before = storeContents(storeDir);
    for (let i = 0; i < 200; i++) writeFileSync(join(src, `f${i}`), `changed ${i}\n`.repeat(100));
    const store = new LosableStore(storeDir);
    let seen = 0;
    await expect(
      backup(src, store, {
        onProgress: () => {
          if (++seen === 3) store.loseLocks();
        },
      }),
    ).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: 'the lock was lost (test)' });
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(storeContents(storeDir)).toEqual(before);
    const listed = await list(storeDir);
    expect(listed.names.flatMap((n) => n.chains.flatMap((c) => c.backups.map((b) => b.id)))).toEqual(['000000-L0']);
    const out = scratch.path('out');
    await restore(storeDir, out);
    expect(readFileSync(join(out, 'f7'), 'utf8')).toBe('file 7\n'.repeat(100));
  });
});
