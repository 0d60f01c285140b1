// Restoring part of a backup (one file, a subtree) reads only the pieces
// those files need; --at picks by time; TARGET is protected; a single-file
// SOURCE comes back under its own name.
import { mkdirSync, writeFileSync, readFileSync, linkSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LibrsyncError, ManifestEntry, backup, listFiles, restore } from '../lib/backup';
import { CountingStore } from './support/counting-store';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { snapshotTree, subtree, digestOf } from './support/tree-snapshot';

describeNative('partial restore', () => {
  const scratch = scratchDir('librsync-backup-partial-');
  const src = scratch.path('src');
  const storeDir = scratch.path('store');
  const snapshots: ReturnType<typeof snapshotTree>[] = [];
  const finished: Date[] = [];
  afterAll(() => scratch.remove());

  beforeAll(async () => {
    mkdirSync(join(src, 'docs', 'old'), { recursive: true });
    mkdirSync(join(src, 'media'));
    writeFileSync(join(src, 'docs', 'a.txt'), randomBytesSeeded(40_000, 11));
    writeFileSync(join(src, 'docs', 'old', 'b.txt'), randomBytesSeeded(30_000, 12));
    writeFileSync(join(src, 'media', 'big.bin'), randomBytesSeeded(300_000, 13));
    writeFileSync(join(src, 'media', 'other.bin'), randomBytesSeeded(200_000, 14));
    linkSync(join(src, 'media', 'other.bin'), join(src, 'zz-link-to-other'));
    for (let level = 0; level < 3; level++) {
      if (level > 0) {
        const big = readFileSync(join(src, 'media', 'big.bin'));
        writeFileSync(join(src, 'media', 'big.bin'), Buffer.concat([Buffer.from(`v${level}`), big]));
        writeFileSync(join(src, 'docs', 'a.txt'), randomBytesSeeded(40_000 + level, 20 + level));
      }
      await backup(src, storeDir, { name: 'part', blockSize: 2048 });
      snapshots.push(snapshotTree(src));
      finished.push(new Date());
      await new Promise((r) => setTimeout(r, 20)); // distinct commit times for --at
    }
  });

  async function entry(path: string, level: number): Promise<ManifestEntry> {
    for await (const e of listFiles(storeDir, { level })) if (e.path === path) return e;
    throw new Error(`no ${path}`);
  }

  it('restores one file reading only its own pieces (base and deltas)', async () => {
    const store = new CountingStore(storeDir);
    const target = scratch.path('one-file');
    await restore(store, target, { paths: ['media/big.bin'] });
    expect(digestOf(join(target, 'media', 'big.bin'))).toBe(digestOf(join(src, 'media', 'big.bin')));
    expect(readdirSync(target).sort()).toEqual(['media']);
    expect(readdirSync(join(target, 'media'))).toEqual(['big.bin']);
    const recipe = (await entry('media/big.bin', 2)).recipe!;
    expect(recipe.map((s) => s.kind)).toEqual(['raw', 'delta', 'delta']);
    const expected = recipe.map((s) => ({ key: `part/chain-000001/${s.backup}/${s.pack}`, start: s.offset, end: s.offset + s.length }));
    // Each piece read once: the deltas first (composed into one list), then the level-0 piece in one pass.
    expect(store.packReads()).toEqual([...expected.slice(1), expected[0]]);
    expect(snapshotTree(join(target, 'media', 'big.bin'))['.']).toEqual(snapshots[2]['media/big.bin']);
  });

  it('restores a subtree with its metadata', async () => {
    const store = new CountingStore(storeDir);
    const target = scratch.path('subtree');
    await restore(store, target, { paths: ['docs/'] });
    const restored = snapshotTree(target);
    expect(subtree(restored, 'docs')).toEqual(subtree(snapshots[2], 'docs'));
    expect(Object.keys(restored).filter((p) => p !== '.' && !p.startsWith('docs'))).toEqual([]);
    const pieces = [...(await entry('docs/a.txt', 2)).recipe!, ...(await entry('docs/old/b.txt', 2)).recipe!];
    // a.txt is new random data at each level: its delta copies nothing, so it stands alone.
    expect(pieces.map((s) => s.kind)).toEqual(['delta', 'raw']);
    const expected = pieces.map((s) => ({ key: `part/chain-000001/${s.backup}/${s.pack}`, start: s.offset, end: s.offset + s.length }));
    const byKey = (a: { key: string; start: number }, b: { key: string; start: number }): number => a.key.localeCompare(b.key) || a.start - b.start;
    expect(store.packReads().sort(byKey)).toEqual(expected.sort(byKey));
  });

  it('restores a hard link whose first path is not selected as a file of its own', async () => {
    const target = scratch.path('link-alone');
    await restore(storeDir, target, { paths: ['zz-link-to-other'] });
    expect(digestOf(join(target, 'zz-link-to-other'))).toBe(digestOf(join(src, 'media', 'other.bin')));
    expect(existsSync(join(target, 'media'))).toBe(false);
  });

  it('keeps selected hard links together when their first path is not selected', async () => {
    const dir = scratch.path('links-outside');
    const source = join(dir, 'src');
    const store = join(dir, 'store');
    mkdirSync(join(source, 'a'), { recursive: true });
    mkdirSync(join(source, 'b'));
    writeFileSync(join(source, 'a', 'first'), randomBytesSeeded(10_000, 40));
    linkSync(join(source, 'a', 'first'), join(source, 'b', 'one'));
    linkSync(join(source, 'a', 'first'), join(source, 'b', 'two'));
    await backup(source, store, { blockSize: 1024 });
    const target = join(dir, 'out');
    const result = await restore(store, target, { paths: ['b'] });
    const one = statSync(join(target, 'b', 'one'));
    expect(statSync(join(target, 'b', 'two')).ino).toBe(one.ino);
    expect(one.nlink).toBe(2);
    expect([result.files, result.hardLinks]).toEqual([1, 1]);
    expect(digestOf(join(target, 'b', 'two'))).toBe(digestOf(join(source, 'a', 'first')));
    expect(existsSync(join(target, 'a'))).toBe(false);
  });

  it('picks the newest backup at or before --at', async () => {
    const target = scratch.path('at');
    const result = await restore(storeDir, target, { at: finished[1] });
    expect(result.id).toBe('000001-L1');
    expect(snapshotTree(target)).toEqual(snapshots[1]);
    await expect(restore(storeDir, scratch.path('too-early'), { at: new Date(0) })).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });

  it('refuses a non-empty TARGET unless --overwrite, then replaces what is in the way', async () => {
    const target = scratch.path('busy');
    mkdirSync(join(target, 'media', 'big.bin'), { recursive: true }); // a directory where a file goes
    writeFileSync(join(target, 'docs'), 'a file where a directory goes');
    writeFileSync(join(target, 'unrelated.txt'), 'stays');
    const refused = restore(storeDir, target, {});
    await expect(refused).rejects.toBeInstanceOf(LibrsyncError);
    await expect(refused).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect(readFileSync(join(target, 'docs'), 'utf8')).toBe('a file where a directory goes');
    await restore(storeDir, target, { overwrite: true });
    const { ['unrelated.txt']: kept, ...rest } = snapshotTree(target, { skipRootTime: true });
    expect(kept.type).toBe('file');
    const { ['.']: root, ...expected } = snapshots[2];
    expect({ ...rest, '.': { ...rest['.'], mtime: root.mtime } }).toEqual({ ...expected, '.': root });
  });

  it('with --overwrite, clears the scratch directory a killed restore left in TARGET, and nothing like it', async () => {
    const target = scratch.path('after-kill');
    mkdirSync(join(target, '.librsync-restore-Ab12Cd'), { recursive: true });
    writeFileSync(join(target, '.librsync-restore-Ab12Cd', 'intermediate'), randomBytesSeeded(1000, 1));
    mkdirSync(join(target, '.librsync-restore-notours'), { recursive: true });
    await restore(storeDir, target, { overwrite: true });
    expect(readdirSync(target).filter((n) => n.startsWith('.librsync-restore-'))).toEqual(['.librsync-restore-notours']);
  });

  it('refuses a TARGET that is a file, with or without --overwrite, and leaves it alone', async () => {
    const target = scratch.path('target-file');
    writeFileSync(target, 'a file, not a directory');
    for (const overwrite of [false, true]) {
      await expect(restore(storeDir, target, { overwrite })).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY', message: expect.stringContaining('not a directory') });
    }
    expect(readFileSync(target, 'utf8')).toBe('a file, not a directory');
  });

  it('says which --path is not in the backup', async () => {
    await expect(restore(storeDir, scratch.path('missing'), { paths: ['docs/nope.txt'] })).rejects.toMatchObject({
      code: 'BACKUP_NOT_FOUND',
      message: expect.stringContaining('docs/nope.txt'),
    });
    await expect(restore(storeDir, scratch.path('escape'), { paths: ['../etc'] })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
  });

  it('backs up a single file and restores it under its own name', async () => {
    const file = scratch.path('single.bin');
    const store = scratch.path('single-store');
    writeFileSync(file, randomBytesSeeded(100_000, 30));
    await backup(file, store, { blockSize: 1024 });
    const first = snapshotTree(file)['.'];
    writeFileSync(file, Buffer.concat([Buffer.from('head'), randomBytesSeeded(100_000, 30)]));
    const second = await backup(file, store, { blockSize: 1024 });
    expect(second.level).toBe(1);
    expect(second.counts.bytesStored).toBeLessThan(10_000);
    await restore(store, scratch.path('single-0'), { level: 0 });
    await restore(store, scratch.path('single-1'), {});
    expect(snapshotTree(join(scratch.path('single-0'), 'single.bin'))['.']).toEqual(first);
    expect(digestOf(join(scratch.path('single-1'), 'single.bin'))).toBe(digestOf(file));
  });
});
