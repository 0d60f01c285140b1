// Packs sized by the store and finishing in the background, on a store
// whose objects finish late (test/support/slow-store.ts): full packs are
// ended without waiting while fewer than uploadsInFlight are open, never
// more are open; the manifest is written only once every pack finished;
// a pack that fails to finish fails the backup with its error, commits
// nothing and leaves earlier backups whole.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupResult, backup, list, restore, verify } from '../lib/backup';
import { backupPrefix } from '../lib/backup/store-keys';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { SlowStore } from './support/slow-store';
import { snapshotTree } from './support/tree-snapshot';

const PACK = 64 << 10;

describeNative('pack uploads in flight', () => {
  const scratch = scratchDir('librsync-pack-uploads-');
  const src = scratch.path('src');
  let stores = 0;
  afterAll(() => scratch.remove());

  /** 300 small files (about 900 KiB: some 14 data packs of 64 KiB) and one of 1 MiB. */
  function writeSource(version: number): void {
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(src, `d${d}`, `f${f}`), randomBytesSeeded(2000 + f * 20, version * 1000 + d * 100 + f + 1));
    }
    writeFileSync(join(src, 'big.bin'), randomBytesSeeded(1 << 20, version * 1000 + 999));
  }

  beforeAll(() => writeSource(1));

  function slowStore(uploadsInFlight: number): SlowStore {
    return new SlowStore(scratch.path(`store-${stores++}`), { packTargetBytes: PACK, uploadsInFlight, finishDelayMs: 400 });
  }

  /** The pack objects of a backup with their sizes, as the store holds them. */
  async function packsOf(store: SlowStore, result: BackupResult): Promise<Record<string, number>> {
    const prefix = backupPrefix(result.name, result.chain, result.id);
    const out: Record<string, number> = {};
    for (const name of await store.list(prefix)) if (name.endsWith('.pack')) out[name] = (await store.objectSize(`${prefix}/${name}`))!;
    return out;
  }

  it.each([1, 2, 3])('with uploadsInFlight %i, that many data packs are open at once, never more, each but the last at least packTargetBytes', async (inFlight) => {
    const store = slowStore(inFlight);
    const result = await backup(src, store, { name: 'n' });
    expect(store.mostOpen.d).toBe(inFlight);
    const packs = await packsOf(store, result);
    const data = Object.keys(packs).filter((n) => n.startsWith('d')).sort();
    expect(data.length).toBeGreaterThanOrEqual(12);
    for (const name of data.slice(0, -1)) expect({ name, full: packs[name] >= PACK }).toEqual({ name, full: true });
    // Exact sizes: what the counts say was stored is what the store holds.
    expect(Object.values(packs).reduce((a, b) => a + b, 0)).toBe(result.counts.bytesStored);
    const target = scratch.path(`restore-${inFlight}`);
    await restore(store, target, {});
    expect(snapshotTree(target)).toEqual(snapshotTree(src));
  });

  it('begins the manifest only once every pack it references has finished', async () => {
    const store = slowStore(3);
    const result = await backup(src, store, { name: 'n' });
    const prefix = backupPrefix(result.name, result.chain, result.id);
    expect(store.manifestCommits).toEqual([{ key: `${prefix}/manifest.jsonl`, unfinishedPacks: [] }]);
    const packs = Object.keys(await packsOf(store, result)).map((n) => `${prefix}/${n}`);
    expect([...store.finishedPacks].sort()).toEqual(packs.sort());
    expect((await verify(store, {})).ok).toBe(true);
  });

  it.each([
    ['a data pack in the middle of the run', 'd000005.pack'],
    ['the signature pack, finished at the commit', 's000001.pack'],
  ])('a failed upload of %s fails the backup with its error and commits nothing', async (_what, pack) => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const store = slowStore(3);
      const first = await backup(src, store, { name: 'n' });
      const before = snapshotTree(src);
      writeSource(2);
      const injected = new Error(`injected: the upload of ${pack} failed`);
      store.failures.push({ match: (key) => key.endsWith(`/000001-L1/${pack}`), error: injected });
      await expect(backup(src, store, { name: 'n' })).rejects.toBe(injected);
      expect(store.failures).toEqual([]); // it was used
      expect(store.manifestCommits.map((c) => c.key)).toEqual([`${backupPrefix('n', first.chain, first.id)}/manifest.jsonl`]);
      // Nothing of the failed backup is left, nor lands later (its writers are all closed).
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await store.list(`n/${first.chain}`)).toEqual([first.id]);
      const listed = await list(store, {});
      expect(listed.names[0].chains.map((c) => ({ backups: c.backups.map((b) => b.id), uncommitted: c.uncommitted }))).toEqual([
        { backups: [first.id], uncommitted: [] },
      ]);
      expect(existsSync(join(store.location, 'lock'))).toBe(false);
      const target = scratch.path(`after-failure-${pack}`);
      await restore(store, target, {});
      expect(snapshotTree(target)).toEqual(before);
      expect((await verify(store, {})).ok).toBe(true);
      // The next backup goes through.
      const next = await backup(src, store, { name: 'n' });
      expect(next.id).toBe('000001-L1');
      writeSource(1);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(rejections).toEqual([]);
  });

  it('an abort while packs are still uploading closes every one of them: nothing of the run lands later', async () => {
    const store = new SlowStore(scratch.path(`store-${stores++}`), { packTargetBytes: PACK, uploadsInFlight: 3, finishDelayMs: 300 });
    const first = await backup(src, store, { name: 'n' });
    writeSource(3);
    const stop = new AbortController();
    let openAtAbort = 0;
    const run = backup(src, store, {
      name: 'n',
      signal: stop.signal,
      onProgress: () => {
        // Two packs ended and finishing, a third being filled.
        if (store.openPackCount >= 3 && !stop.signal.aborted) {
          openAtAbort = store.openPackCount;
          stop.abort();
        }
      },
    });
    try {
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      expect(openAtAbort).toBe(3);
      expect(store.openPackCount).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 600)); // past every held-back finish
      expect(await store.list(`n/${first.chain}`)).toEqual([first.id]);
      expect(store.finishedPacks.filter((key) => key.includes('/000001-L1/'))).toEqual([]);
    } finally {
      writeSource(1);
    }
  });

  it.each([
    ['uploadsInFlight', 0],
    ['uploadsInFlight', 2.5],
    ['packTargetBytes', -1],
    ['packTargetBytes', Number.NaN],
  ] as const)('a store hint %s of %p is RS_PARAM_ERROR before anything is written', async (hint, value) => {
    const root = scratch.path(`bad-hint-${stores++}`);
    const store = Object.assign(new SlowStore(root, { packTargetBytes: PACK, uploadsInFlight: 1, finishDelayMs: 0 }), { [hint]: value });
    await expect(backup(src, store, { name: 'n' })).rejects.toMatchObject({
      code: 'RS_PARAM_ERROR',
      message: `store ${root}: ${hint} must be a positive integer, not ${String(value)}`,
    });
    expect(existsSync(root)).toBe(false);
  });
});
