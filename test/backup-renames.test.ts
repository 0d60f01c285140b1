// Renames: a path new to a level whose inode stood at a path that no
// longer holds it takes that entry's stored content instead of storing the
// file again. A directory's rename keeps its files' ctimes, so they are
// carried without a read; a file's own rename changes its ctime (ext4,
// tmpfs, XFS, btrfs), so it is read once against its old version and, the
// content being the same, keeps the old recipe. Every case restores exactly.
import { linkSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { BackupResult, ManifestEntry, backup, listFiles, restore, verify } from '../lib/backup';
import { entryBytes } from '../lib/backup/rename-index';
import { randomBytesSeeded, scratchDir } from './support/files';
import { sealed } from './support/manifest-seal';
import { snapshotTree } from './support/tree-snapshot';
import { readManifest } from './support/manifest-text';

const MiB = 1 << 20;

async function entriesOf(store: string, level: number): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  for await (const e of listFiles(store, { level })) out.set(e.path, e);
  return out;
}

describe('backup: renames', () => {
  const scratch = scratchDir('librsync-renames-');
  afterAll(() => scratch.remove());
  let n = 0;

  /** A fresh source and store; `level` backs up, restores that level and checks it against the source. */
  function setup(options: { renameIndexBytes?: number } = {}) {
    n++;
    const src = scratch.path(`src${n}`);
    const store = scratch.path(`store${n}`);
    mkdirSync(src);
    const level = async (): Promise<BackupResult> => {
      const result = await backup(src, store, { name: 'tree', ...options });
      const target = scratch.path(`restore${n}-L${result.level}`);
      await restore(store, target, { level: result.level });
      expect(snapshotTree(target)).toEqual(snapshotTree(src));
      return result;
    };
    return { src, store, level, path: (p: string) => join(src, p) };
  }

  it('a renamed 5 MiB file, into another directory and to a name sorting before its old one, stores almost nothing', async () => {
    const t = setup();
    mkdirSync(t.path('a'));
    mkdirSync(t.path('b'));
    writeFileSync(t.path('a/big.bin'), randomBytesSeeded(5 * MiB, 1));
    writeFileSync(t.path('m.bin'), randomBytesSeeded(5 * MiB, 2));
    writeFileSync(t.path('keep.txt'), 'kept\n');
    const l0 = await t.level();
    expect(l0.counts.bytesStored).toBeGreaterThan(10 * MiB);
    renameSync(t.path('a/big.bin'), t.path('b/moved.bin')); // after its old path
    renameSync(t.path('m.bin'), t.path('a/first.bin')); // before it
    const l1 = await t.level();
    // Two signatures of 80 blocks and two deltas of a few bytes, not 10 MiB.
    expect(l1.counts.bytesStored).toBeLessThan(20_000);
    const [before, after] = [await entriesOf(t.store, 0), await entriesOf(t.store, 1)];
    for (const [from, to] of [['a/big.bin', 'b/moved.bin'], ['m.bin', 'a/first.bin']]) {
      expect(after.get(from)?.type).toBe('deleted');
      expect(after.get(to)!.recipe).toEqual(before.get(from)!.recipe);
      expect(after.get(to)!.signature).toEqual(before.get(from)!.signature);
      expect(after.get(to)!.sha256).toBe(before.get(from)!.sha256);
      expect(after.get(to)!.dev).toBe(String(lstatSync(t.path(to)).dev));
    }
    expect((await verify(t.store)).ok).toBe(true);
  });

  it('a renamed directory of 50 files is carried over without reading a byte', async () => {
    const t = setup();
    mkdirSync(t.path('old'));
    for (let i = 0; i < 50; i++) writeFileSync(t.path(`old/f${i}.bin`), randomBytesSeeded(20_000 + i, 100 + i));
    await t.level();
    renameSync(t.path('old'), t.path('new'));
    const l1 = await t.level();
    expect(l1.counts).toMatchObject({ filesRead: 0, bytesRead: 0, bytesStored: 0, filesUnchanged: 50, deleted: 51 });
    const [before, after] = [await entriesOf(t.store, 0), await entriesOf(t.store, 1)];
    for (let i = 0; i < 50; i++) {
      const moved = after.get(`new/f${i}.bin`)!;
      expect(moved.read).toBe(false);
      expect(moved.recipe).toEqual(before.get(`old/f${i}.bin`)!.recipe);
    }
  });

  it('a renamed and modified file is stored as a change: a small delta on its old recipe', async () => {
    const t = setup();
    writeFileSync(t.path('db.bin'), randomBytesSeeded(3 * MiB, 3));
    await t.level();
    renameSync(t.path('db.bin'), t.path('db-renamed.bin'));
    const fd = openSync(t.path('db-renamed.bin'), 'r+');
    writeSync(fd, Buffer.from('changed in the middle'), 0, 21, MiB + 5);
    closeSync(fd);
    const l1 = await t.level();
    const [before, after] = [await entriesOf(t.store, 0), await entriesOf(t.store, 1)];
    const entry = after.get('db-renamed.bin')!;
    expect(entry.read).toBe(true);
    expect(entry.recipe).toHaveLength(2);
    expect(entry.recipe![0]).toEqual(before.get('db.bin')!.recipe![0]);
    expect(entry.recipe![1].kind).toBe('delta');
    expect(l1.counts.bytesStored).toBeLessThan(200_000); // one 64 KiB block's literal, not 3 MiB
  });

  it('two files swapping names each keep the other one\'s content', async () => {
    const t = setup();
    writeFileSync(t.path('x.bin'), randomBytesSeeded(2 * MiB, 4));
    writeFileSync(t.path('y.bin'), randomBytesSeeded(2 * MiB, 5));
    await t.level();
    renameSync(t.path('x.bin'), t.path('tmp'));
    renameSync(t.path('y.bin'), t.path('x.bin'));
    renameSync(t.path('tmp'), t.path('y.bin'));
    const l1 = await t.level();
    expect(l1.counts.bytesStored).toBeLessThan(10_000);
    const [before, after] = [await entriesOf(t.store, 0), await entriesOf(t.store, 1)];
    expect(after.get('x.bin')!.recipe).toEqual(before.get('y.bin')!.recipe);
    expect(after.get('y.bin')!.recipe).toEqual(before.get('x.bin')!.recipe);
  });

  it('a file saved over by rename whose fresh inode was another saved file\'s: its own old version is the basis', async () => {
    // What "write a new file, rename it over the old" does to two files in a row when the
    // second new file gets the inode number the first one freed: here made certain by
    // moving a.bin's inode to b.bin, then writing both paths' new content.
    const t = setup();
    const [a, b] = [randomBytesSeeded(2 * MiB, 8), randomBytesSeeded(2 * MiB, 9)];
    writeFileSync(t.path('a.bin'), a);
    writeFileSync(t.path('b.bin'), b);
    await t.level();
    const aInode = lstatSync(t.path('a.bin')).ino;
    renameSync(t.path('a.bin'), t.path('b.bin'));
    const edited = (bytes: Buffer, seed: number): Buffer => Buffer.concat([bytes.subarray(0, MiB), randomBytesSeeded(5000, seed), bytes.subarray(MiB)]);
    writeFileSync(t.path('b.bin'), edited(b, 10)); // same inode as a.bin had, b.bin's content edited, a new mtime
    writeFileSync(t.path('a.bin'), edited(a, 11));
    expect(lstatSync(t.path('b.bin')).ino).toBe(aInode);
    const l1 = await t.level();
    // Two deltas of about 5000 bytes and a block each (against b.bin's and a.bin's own versions), not 4 MiB.
    expect(l1.counts.bytesStored).toBeLessThan(400_000);
    const after = await entriesOf(t.store, 1);
    for (const path of ['a.bin', 'b.bin']) expect(after.get(path)!.recipe!.map((s) => s.kind)).toEqual(['raw', 'delta']);
  });

  it('a hard-link pair losing a name, or renamed while a link remains, is no rename and restores exactly', async () => {
    const t = setup();
    mkdirSync(t.path('h'));
    writeFileSync(t.path('h/a'), randomBytesSeeded(2 * MiB, 6));
    linkSync(t.path('h/a'), t.path('h/b'));
    writeFileSync(t.path('h/c'), randomBytesSeeded(2 * MiB, 7));
    linkSync(t.path('h/c'), t.path('h/d'));
    await t.level();
    unlinkSync(t.path('h/b'));
    renameSync(t.path('h/c'), t.path('h/e')); // h/d still holds the inode
    await t.level();
    const after = await entriesOf(t.store, 1);
    expect(after.get('h/b')?.type).toBe('deleted');
    expect(after.get('h/a')!.linkTo).toBeUndefined();
    expect(after.get('h/e')!.linkTo).toBe('h/d');
    expect((await verify(t.store)).ok).toBe(true);
  });

  it('past the index budget the largest files are still recognised and the others stored whole, all restored exactly', async () => {
    const t = setup({ renameIndexBytes: entryBytes({ path: 'large.bin', recipe: [{} as never], signature: {} as never }) });
    writeFileSync(t.path('large.bin'), randomBytesSeeded(3 * MiB, 8));
    writeFileSync(t.path('small.bin'), randomBytesSeeded(1.5 * MiB, 9));
    await t.level();
    renameSync(t.path('large.bin'), t.path('large2.bin'));
    renameSync(t.path('small.bin'), t.path('small2.bin'));
    const l1 = await t.level();
    // small2.bin stored whole again; large2.bin not.
    expect(l1.counts.bytesStored).toBeGreaterThan(1.5 * MiB);
    expect(l1.counts.bytesStored).toBeLessThan(1.6 * MiB);
  });

  it('a budget of 0 turns rename detection off: renamed files are stored whole and restore exactly', async () => {
    const t = setup({ renameIndexBytes: 0 });
    writeFileSync(t.path('one.bin'), randomBytesSeeded(2 * MiB, 10));
    await t.level();
    renameSync(t.path('one.bin'), t.path('two.bin'));
    const l1 = await t.level();
    expect(l1.counts.bytesStored).toBeGreaterThan(2 * MiB);
  });

  it('a manifest entry with a malformed device is BACKUP_CORRUPT, for restore and for the next level', async () => {
    const t = setup();
    writeFileSync(t.path('f.bin'), randomBytesSeeded(10_000, 11));
    await t.level();
    const manifest = join(t.store, 'backups/tree/chain-000001/000000-L0/manifest.jsonl');
    const lines = readManifest(manifest).split('\n').slice(0, -1);
    const body = lines.slice(0, -1).map((line) => {
      const value = JSON.parse(line) as { path?: string; dev?: string };
      if (value.path === 'f.bin') value.dev = '../1';
      return `${JSON.stringify(value)}\n`;
    });
    writeFileSync(manifest, sealed(body.join(''), JSON.parse(lines[lines.length - 1])));
    await expect(restore(t.store, scratch.path('bad-dev'))).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining('malformed ctime, inode or device') });
    await expect(backup(t.src, t.store, { name: 'tree' })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
  });

  it('a malformed budget is RS_PARAM_ERROR before anything is written', async () => {
    const t = setup();
    await expect(backup(t.src, t.store, { renameIndexBytes: -1 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    await expect(backup(t.src, t.store, { dedupIndexBytes: 1.5 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    expect(() => lstatSync(t.store)).toThrow();
  });
});
