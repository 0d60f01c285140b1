// Sparse files: holes (found with SEEK_DATA/SEEK_HOLE) are recorded as data
// extents, never stored, and come back as holes: what `du` counts
// (st_blocks * 512) is the data, on tmpfs (/dev/shm) and on the disk file
// system of os.tmpdir(). Every restore is compared byte for byte (SHA-256)
// with the source as it was at that level.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ManifestEntry, backup, cat, diff, listFiles, restore, verify } from '../lib/backup';
import { MAX_EXTENTS } from '../lib/data-extents';
import { runCli } from './support/cli';
import { randomBytesSeeded } from './support/files';
import { sealed } from './support/manifest-seal';
import { readManifest } from './support/manifest-text';
import { describeNative } from './support/requirements';

const KiB = 1024;
const MiB = 1024 * KiB;
const NAME = 'sparse';

/** Bytes the file takes on its file system, as `du` counts them. */
function allocated(path: string): number {
  return statSync(path).blocks * 512;
}

/** A file of `size` bytes, holes but for `writes` (written at their offsets). */
function sparseFile(path: string, size: number, writes: [offset: number, bytes: Buffer][]): void {
  writeFileSync(path, '');
  execFileSync('truncate', ['-s', String(size), path]);
  const fd = openSync(path, 'r+');
  try {
    for (const [offset, bytes] of writes) writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Bytes of every file under `dir` (the store's real size). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(join(e.parentPath ?? e.path, e.name)).size;
  return total;
}

async function entryOf(store: string, path: string, level?: number): Promise<ManifestEntry> {
  for await (const e of listFiles(store, { name: NAME, level })) if (e.path === path) return e;
  throw new Error(`no entry ${path}`);
}

const ROOTS: [string, string][] = [
  ['tmpfs', '/dev/shm'],
  ['the disk', tmpdir()],
];

describe.each(ROOTS)('sparse files on %s', (_label, root) => {
  const describeHere = existsSync(root) ? describeNative : describe.skip;
  describeHere('backup and restore', () => {
    let dir: string;
    let src: string;
    beforeAll(() => {
      dir = mkdtempSync(join(root, 'librsync-sparse-'));
      src = join(dir, 'src');
      execFileSync('mkdir', ['-p', src]);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('stores a 300 MiB file with 8 KiB of data (start, middle, end) in under 1 MiB and restores it with its holes', async () => {
      const size = 300 * MiB;
      const middle = 150 * MiB;
      sparseFile(join(src, 'big'), size, [
        [0, randomBytesSeeded(2 * KiB, 1)],
        [middle, randomBytesSeeded(4 * KiB, 2)],
        [size - 2 * KiB, randomBytesSeeded(2 * KiB, 3)],
      ]);
      // An all-hole file, and one ending in a hole.
      sparseFile(join(src, 'empty-holes'), 64 * MiB, []);
      sparseFile(join(src, 'tail-hole'), 10 * MiB, [[4 * KiB, randomBytesSeeded(5000, 4)]]);
      const want = { big: await sha256Of(join(src, 'big')), 'empty-holes': await sha256Of(join(src, 'empty-holes')), 'tail-hole': await sha256Of(join(src, 'tail-hole')) };
      const store = join(dir, 'store');
      // Without compression: the holes alone keep it small (zeros would compress too, yet be read and hashed as stored data).
      const result = await backup(src, store, { name: NAME, compression: 'off' });

      expect(result.counts.bytesStored).toBeLessThan(1 * MiB);
      expect(bytesUnder(store)).toBeLessThan(1 * MiB);
      const big = await entryOf(store, 'big');
      expect(big.extents).toEqual([[0, 4 * KiB], [middle, 4 * KiB], [size - 4 * KiB, 4 * KiB]]);
      expect(big.recipe).toEqual([expect.objectContaining({ kind: 'raw', size, length: 12 * KiB, extents: big.extents })]);
      expect(big.sha256).toBe(want.big); // the hash is the logical content's
      expect((await entryOf(store, 'empty-holes')).extents).toEqual([]);
      expect((await entryOf(store, 'tail-hole')).extents).toEqual([[4 * KiB, 8 * KiB]]);

      const target = join(dir, 'target');
      await restore(store, target, { name: NAME });
      for (const [file, sha] of Object.entries(want)) expect(await sha256Of(join(target, file))).toBe(sha);
      expect(statSync(join(target, 'big')).size).toBe(size);
      expect(allocated(join(target, 'big'))).toBeLessThan(1 * MiB);
      expect(allocated(join(target, 'big'))).toBe(12 * KiB);
      expect(allocated(join(target, 'empty-holes'))).toBe(0);
      expect(statSync(join(target, 'empty-holes')).size).toBe(64 * MiB);
      expect(allocated(join(target, 'tail-hole'))).toBe(8 * KiB);
      expect(statSync(join(target, 'tail-hole')).size).toBe(10 * MiB);

      // cat streams the zeros of the holes.
      const hash = createHash('sha256');
      let bytes = 0;
      const out = new Writable({
        write(chunk: Buffer, _e, cb) {
          bytes += chunk.length;
          hash.update(chunk);
          cb();
        },
      });
      await cat(store, 'tail-hole', out, { name: NAME });
      expect(bytes).toBe(10 * MiB);
      expect(hash.digest('hex')).toBe(want['tail-hole']);
      rmSync(join(src, 'big'));
    }, 120_000);

    it('restores every level exact, holes included, after a level writes into a hole and another punches one', async () => {
      const size = 32 * MiB;
      const file = join(src, 'levels');
      rmSync(join(src, 'empty-holes'), { force: true });
      rmSync(join(src, 'tail-hole'), { force: true });
      sparseFile(file, size, [
        [0, randomBytesSeeded(64 * KiB, 5)],
        [16 * MiB, randomBytesSeeded(64 * KiB, 6)],
      ]);
      const store = join(dir, 'store-levels');
      const want: { sha: string; extents: [number, number][] }[] = [];
      const snap = async (extents: [number, number][]): Promise<void> => {
        want.push({ sha: await sha256Of(file), extents });
      };
      await snap([[0, 64 * KiB], [16 * MiB, 64 * KiB]]);
      await backup(src, store, { name: NAME, level: 0, blockSize: 4096 });

      // Level 1: data written into the hole at 8 MiB.
      const fd = openSync(file, 'r+');
      writeSync(fd, randomBytesSeeded(8 * KiB, 7), 0, 8 * KiB, 8 * MiB);
      closeSync(fd);
      await snap([[0, 64 * KiB], [8 * MiB, 8 * KiB], [16 * MiB, 64 * KiB]]);
      const l1 = await backup(src, store, { name: NAME, level: 1 });
      expect(l1.counts.bytesStored).toBeLessThan(1 * MiB);

      // Level 2: a hole punched in the first data run (its bytes become zeros).
      execFileSync('fallocate', ['-p', '-o', String(16 * KiB), '-l', String(32 * KiB), file]);
      await snap([[0, 16 * KiB], [48 * KiB, 16 * KiB], [8 * MiB, 8 * KiB], [16 * MiB, 64 * KiB]]);
      await backup(src, store, { name: NAME, level: 2 });

      for (let level = 0; level < want.length; level++) {
        const entry = await entryOf(store, 'levels', level);
        expect(entry.extents).toEqual(want[level].extents);
        expect(entry.recipe).toHaveLength(level + 1);
        const target = join(dir, `levels-${level}`);
        await restore(store, target, { name: NAME, level });
        const restored = join(target, 'levels');
        expect(await sha256Of(restored)).toBe(want[level].sha);
        expect(allocated(restored)).toBe(want[level].extents.reduce((n, [, length]) => n + length, 0));
      }
    }, 120_000);

    it('counts a file whose holes changed but bytes did not as the same content (verify --against, diff)', async () => {
      const only = join(dir, 'layout');
      execFileSync('mkdir', ['-p', only]);
      const file = join(only, 'f');
      // 1 MiB of data whose middle 256 KiB is written zeros: allocated, not a hole.
      const bytes = randomBytesSeeded(1 * MiB, 8);
      bytes.fill(0, 256 * KiB, 512 * KiB);
      writeFileSync(file, bytes);
      const store = join(dir, 'store-layout');
      await backup(only, store, { name: NAME, level: 0 });
      expect((await entryOf(store, 'f')).extents).toBeUndefined();
      execFileSync('fallocate', ['-p', '-o', String(256 * KiB), '-l', String(256 * KiB), file]);
      expect(readFileSync(file).equals(bytes)).toBe(true);

      const checked = await verify(store, { name: NAME, against: only });
      expect(checked.problems).toEqual([]);
      expect(checked.differences).toEqual([{ path: 'f', change: 'modified', fields: ['mtime'] }]);
      await backup(only, store, { name: NAME, level: 1 });
      expect((await entryOf(store, 'f', 1)).extents).toEqual([[0, 256 * KiB], [512 * KiB, 512 * KiB]]);
      const changes = await diff(store, { name: NAME, from: { level: 0 }, to: { level: 1 } });
      expect(changes.differences).toEqual([expect.objectContaining({ path: 'f', change: 'modified', fields: ['mtime'] })]);
    }, 60_000);

    it(`records at most ${MAX_EXTENTS} extents, the rest of a more fragmented file counting as data`, async () => {
      const only = join(dir, 'fragmented');
      execFileSync('mkdir', ['-p', only]);
      const file = join(only, 'f');
      const runs = MAX_EXTENTS + 10;
      const stride = 8 * KiB;
      sparseFile(file, runs * stride, Array.from({ length: runs }, (_, i) => [i * stride, randomBytesSeeded(4 * KiB, i + 1)] as [number, Buffer]));
      const store = join(dir, 'store-fragmented');
      await backup(only, store, { name: NAME });
      const entry = await entryOf(store, 'f');
      expect(entry.extents).toHaveLength(MAX_EXTENTS);
      expect(entry.extents![MAX_EXTENTS - 2]).toEqual([(MAX_EXTENTS - 2) * stride, 4 * KiB]);
      expect(entry.extents![MAX_EXTENTS - 1]).toEqual([(MAX_EXTENTS - 1) * stride, (runs - MAX_EXTENTS + 1) * stride]);
      const target = join(dir, 'fragmented-out');
      await restore(store, target, { name: NAME });
      expect(await sha256Of(join(target, 'f'))).toBe(await sha256Of(file));
      // ext4 counts the blocks of a fragmented file's extent tree too: a few KiB over its data.
      const data = (MAX_EXTENTS - 1) * 4 * KiB + (runs - MAX_EXTENTS + 1) * stride;
      expect(allocated(join(target, 'f'))).toBeGreaterThanOrEqual(data);
      expect(allocated(join(target, 'f'))).toBeLessThan(data + 128 * KiB);
    }, 60_000);
  });
});

describeNative('hostile extents in a manifest', () => {
  let dir: string;
  let store: string;
  let manifest: string;
  let original: string;
  const size = 4 * MiB;
  beforeAll(async () => {
    dir = mkdtempSync(join('/dev/shm', 'librsync-sparse-hostile-'));
    const src = join(dir, 'src');
    execFileSync('mkdir', ['-p', src]);
    sparseFile(join(src, 'f'), size, [
      [0, randomBytesSeeded(4 * KiB, 1)],
      [1 * MiB, randomBytesSeeded(4 * KiB, 2)],
    ]);
    store = join(dir, 'store');
    await backup(src, store, { name: NAME });
    const chain = join(store, 'backups', NAME, 'chain-000001');
    manifest = join(chain, readdirSync(chain)[0], 'manifest.jsonl');
    original = readManifest(manifest);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The manifest with the file's entry edited and the trailer re-sealed. */
  function forge(edit: (entry: ManifestEntry) => void): void {
    const lines = original.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    const entry = lines.find((l) => l.path === 'f') as unknown as ManifestEntry;
    edit(entry);
    writeFileSync(manifest, sealed(lines.slice(0, -1).map((l) => `${JSON.stringify(l)}\n`).join(''), lines[lines.length - 1]));
  }

  const cases: [string, (e: ManifestEntry) => void, RegExp?][] = [
    ['out of order', (e) => (e.extents = [[1 * MiB, 4096], [0, 4096]])],
    ['overlapping', (e) => (e.extents = [[0, 8192], [4096, 4096]])],
    ['beyond the size', (e) => (e.extents = [[0, 4096], [size - 4096, 8192]])],
    ['empty', (e) => (e.extents = [[0, 0]])],
    ['negative', (e) => (e.extents = [[-4096, 8192]])],
    ['not pairs', (e) => (e.extents = [[0, 4096, 1]] as unknown as [number, number][])],
    ['not numbers', (e) => (e.extents = [['0', 4096]] as unknown as [number, number][])],
    ['not a list', (e) => (e.extents = { 0: [0, 4096] } as unknown as [number, number][])],
    ['absurd counts', (e) => (e.extents = Array.from({ length: MAX_EXTENTS + 1 }, (_, i) => [i * 2, 1] as [number, number]))],
    ['on a delta step', (e) => (e.recipe![0] = { ...e.recipe![0], kind: 'delta' })],
    ['in the recipe, beyond its size', (e) => (e.recipe![0].extents = [[0, 4096], [size, 4096]])],
    ['in the recipe, holding other bytes than its piece', (e) => (e.recipe![0].extents = [[0, 4096]])],
    ['in the recipe, moved', (e) => (e.recipe![0].extents = [[0, 4096], [2 * MiB, 4096]])],
    // Shape, hash and recipe all fine: only the check of the bytes that fall in a hole catches it.
    ['claiming a hole where the data is', (e) => (e.extents = [[0, 4096]]), /byte 1048576 falls in a hole/],
  ];

  it.each(cases)('refuses extents %s with BACKUP_CORRUPT, writing no file', async (_what, edit, message = /./) => {
    forge(edit);
    const target = join(dir, `target-${Math.random().toString(36).slice(2)}`);
    await expect(restore(store, target, { name: NAME })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(message) });
    expect(existsSync(join(target, 'f'))).toBe(false);
    // Nothing else left behind either: at most the empty TARGET.
    expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
  });

  it('restores the store as written (the cases above are the edits alone)', async () => {
    writeFileSync(manifest, original);
    const target = join(dir, 'target-ok');
    await restore(store, target, { name: NAME });
    expect(allocated(join(target, 'f'))).toBe(8 * KiB);
  });
});

describeNative('sparse files without the addon (the TypeScript fallback)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join('/dev/shm', 'librsync-sparse-noaddon-'));
    execFileSync('mkdir', ['-p', join(dir, 'src'), join(dir, 'no-prebuilds')]);
    sparseFile(join(dir, 'src', 'f'), 16 * MiB, [[8 * MiB, randomBytesSeeded(4 * KiB, 9)]]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const noAddon = (): NodeJS.ProcessEnv => ({ LIBRSYNC_PREBUILD: join(dir, 'no-prebuilds'), PREBUILDS_ONLY: '1', LIBRSYNC_ADDON_PATH: '', LIBRSYNC_BACKEND: '' });

  it('backs a sparse file up as all data, and restores a store with extents, holes included', async () => {
    const want = await sha256Of(join(dir, 'src', 'f'));
    // Status 2: the warning that extended attributes are not backed up without the addon.
    const run = runCli(['backup', join(dir, 'src'), join(dir, 'plain-store'), '--name', NAME, '--compression', 'off'], { cwd: dir, env: noAddon() });
    expect(run.stderr).toMatch(/extended attributes/);
    expect(run.status).toBe(2);
    const plain = await entryOf(join(dir, 'plain-store'), 'f');
    expect(plain.extents).toBeUndefined();
    expect(plain.recipe).toEqual([expect.objectContaining({ kind: 'raw', length: 16 * MiB })]);
    expect(plain.sha256).toBe(want);

    await backup(join(dir, 'src'), join(dir, 'sparse-store'), { name: NAME });
    const restored = runCli(['restore', join(dir, 'sparse-store'), join(dir, 'out')], { cwd: dir, env: noAddon() });
    expect(restored.stderr).toMatch(/^librsync: warning: native addon unavailable .*using the js backend.*\n$/);
    expect(restored.status).toBe(0);
    expect(await sha256Of(join(dir, 'out', 'f'))).toBe(want);
    expect(allocated(join(dir, 'out', 'f'))).toBe(4 * KiB);
  }, 60_000);
});
