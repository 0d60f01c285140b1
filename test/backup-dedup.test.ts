// Identical files read by one level are stored once: later copies point at
// the first one's pieces. Small copies are never written; a large copy is
// hashed alone first, only when a file of its size was stored, so every
// file is read once unless a large file has a stored file's size but other
// content. Restore, verify and prune treat the shared pieces correctly.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupResult, ManifestEntry, backup, listFiles, prune, restore, verify } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { snapshotTree } from './support/tree-snapshot';

const MiB = 1 << 20;

async function entriesOf(store: string, level: number): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  for await (const e of listFiles(store, { level })) out.set(e.path, e);
  return out;
}

/** Bytes of the data packs alone (bytesStored also counts signatures). */
async function dataPackBytes(store: string, level: number): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  for (const e of (await entriesOf(store, level)).values()) {
    for (const step of e.recipe ?? []) {
      const key = `${step.backup}/${step.pack}/${step.offset}`;
      if (!seen.has(key)) total += step.length;
      seen.add(key);
    }
  }
  return total;
}

describe('backup: identical files within a level', () => {
  const scratch = scratchDir('librsync-dedup-');
  afterAll(() => scratch.remove());
  let n = 0;

  function setup(options: { dedupIndexBytes?: number } = {}) {
    n++;
    const src = scratch.path(`src${n}`);
    const store = scratch.path(`store${n}`);
    mkdirSync(src);
    const level = async (): Promise<BackupResult> => {
      // Uncompressed: the pack bytes are then exactly the bytes stored once (frames would add their headers).
      const result = await backup(src, store, { name: 'tree', compression: 'off', ...options });
      const target = scratch.path(`restore${n}-L${result.level}`);
      await restore(store, target, { level: result.level });
      expect(snapshotTree(target)).toEqual(snapshotTree(src));
      return result;
    };
    return { src, store, level, path: (p: string) => join(src, p) };
  }

  it('10 identical new small files store their data once, read once each', async () => {
    const t = setup();
    const content = randomBytesSeeded(200_000, 1);
    for (let i = 0; i < 10; i++) writeFileSync(t.path(`copy${i}.bin`), content);
    const l0 = await t.level();
    expect(l0.counts.bytesRead).toBe(10 * content.length);
    // One raw piece and one signature (4 blocks of 64 KiB, a few dozen bytes each).
    expect(l0.counts.bytesStored).toBeGreaterThanOrEqual(content.length);
    expect(l0.counts.bytesStored).toBeLessThan(content.length + 1000);
    expect(await dataPackBytes(t.store, 0)).toBe(content.length);
    const entries = await entriesOf(t.store, 0);
    for (let i = 1; i < 10; i++) {
      expect(entries.get(`copy${i}.bin`)!.recipe).toEqual(entries.get('copy0.bin')!.recipe);
      expect(entries.get(`copy${i}.bin`)!.signature).toEqual(entries.get('copy0.bin')!.signature);
    }
    const report = await verify(t.store);
    expect(report.ok).toBe(true);
    expect(report.piecesChecked).toBe(2); // the shared piece and signature, each read once
  });

  it('a damaged shared piece is reported for every path that uses it', async () => {
    const t = setup();
    const content = randomBytesSeeded(50_000, 11);
    for (const name of ['a', 'b', 'c']) writeFileSync(t.path(name), content);
    writeFileSync(t.path('other'), randomBytesSeeded(50_000, 12));
    await t.level();
    const pack = join(t.store, 'backups/tree/chain-000001/000000-L0/d000001.pack');
    const bytes = readFileSync(pack);
    bytes[100] ^= 1; // inside the shared piece, the first one written
    writeFileSync(pack, bytes);
    const report = await verify(t.store);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.path, p.code])).toEqual([
      ['a', 'BACKUP_CORRUPT'],
      ['b', 'BACKUP_CORRUPT'],
      ['c', 'BACKUP_CORRUPT'],
    ]);
  });

  it('identical large files are stored once and each read once; identical small ones beside them too', async () => {
    const t = setup();
    const big = randomBytesSeeded(3 * MiB, 2);
    const small = randomBytesSeeded(5000, 3);
    mkdirSync(t.path('d'));
    for (const name of ['a.big', 'd/b.big', 'z.big']) writeFileSync(t.path(name), big);
    for (const name of ['a.small', 'd/b.small']) writeFileSync(t.path(name), small);
    const l0 = await t.level();
    expect(l0.counts.bytesRead).toBe(3 * big.length + 2 * small.length);
    expect(await dataPackBytes(t.store, 0)).toBe(big.length + small.length);
    expect(l0.counts.bytesStored).toBeLessThan(big.length + small.length + 2000);
    const report = await verify(t.store);
    expect(report).toMatchObject({ ok: true, piecesChecked: 4 });
  });

  it('files of one size but other content are each stored (a large one is read twice: hashed, then stored)', async () => {
    const t = setup();
    writeFileSync(t.path('one.big'), randomBytesSeeded(2 * MiB, 4));
    writeFileSync(t.path('two.big'), randomBytesSeeded(2 * MiB, 5));
    writeFileSync(t.path('one.small'), randomBytesSeeded(3000, 6));
    writeFileSync(t.path('two.small'), randomBytesSeeded(3000, 7));
    const l0 = await t.level();
    expect(await dataPackBytes(t.store, 0)).toBe(4 * MiB + 6000);
    expect(l0.counts.bytesRead).toBe(6 * MiB + 6000);
    expect((await verify(t.store)).piecesChecked).toBe(8);
  });

  it('copies made in a later level share that level\'s pieces; pruning the older chain leaves them whole', async () => {
    const t = setup();
    writeFileSync(t.path('base.bin'), randomBytesSeeded(1.5 * MiB, 8));
    await t.level();
    const fresh = randomBytesSeeded(1.5 * MiB + 1, 9);
    for (let i = 0; i < 4; i++) writeFileSync(t.path(`new${i}.bin`), fresh);
    await t.level();
    expect(await dataPackBytes(t.store, 1)).toBe(1.5 * MiB + fresh.length); // level 0's piece, and one new
    // A new chain from the same tree, then the first chain pruned: the kept chain restores exactly.
    await backup(t.src, t.store, { name: 'tree', level: 0 });
    const pruned = await prune(t.store, { keepLast: 1 });
    expect(pruned.decisions.filter((d) => !d.keep)).toHaveLength(2);
    const target = scratch.path('after-prune');
    await restore(t.store, target);
    expect(snapshotTree(target)).toEqual(snapshotTree(t.src));
    expect(await verify(t.store)).toMatchObject({ ok: true, piecesChecked: 4 });
  });

  it('with an index budget of 0, identical files are each stored', async () => {
    const t = setup({ dedupIndexBytes: 0 });
    const content = randomBytesSeeded(100_000, 10);
    for (let i = 0; i < 3; i++) writeFileSync(t.path(`c${i}`), content);
    await t.level();
    expect(await dataPackBytes(t.store, 0)).toBe(3 * content.length);
  });
});
