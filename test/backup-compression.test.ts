// Compressed pieces end to end: backups with --compression off, auto and
// max of text, random and mixed trees restore exactly at every level (and
// in chains that mix modes, as a store written before compression does);
// text is stored well below its size, random data not above it; damage in
// a compressed piece is BACKUP_CORRUPT naming the file, with no file
// written, and verify reports it; the CLI takes --compression.
import { mkdirSync, readFileSync, readdirSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionMode } from '../lib/backup/compression';
import { FRAME_HEADER_BYTES, parseFrameHeader } from '../lib/backup/compression';
import { ManifestEntry, RecipeStep, backup, listFiles, restore, verify } from '../lib/backup';
import { runCli } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { snapshotTree } from './support/tree-snapshot';
import { sealed } from './support/manifest-seal';
import { readManifest } from './support/manifest-text';

const NAME = 'z';
const MODES: CompressionMode[] = ['off', 'auto', 'max'];

/** Text that compresses about as source code does (repeated words, numbers). */
function text(length: number, seed: number): Buffer {
  const words = ['const', 'return', 'function', 'backup', 'level', 'piece', 'frame', 'signature', 'delta', 'import', 'export', 'await'];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `  ${words[(i * seed) % 12]} ${words[(i + seed) % 12]}_${i % 97} = ${words[(i * 5) % 12]}(${i * seed});\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, length);
}

type TreeKind = 'text' | 'random' | 'mixed';

function makeTree(dir: string, kind: TreeKind): number {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const files: [string, Buffer][] = [];
  const content = (i: number, length: number): Buffer => (kind === 'text' || (kind === 'mixed' && i % 2 === 0) ? text(length, i + 1) : randomBytesSeeded(length, i + 1));
  // Small files (buffered captures), one past a frame, one of several frames.
  [10, 5_000, 200_000].forEach((length, i) => files.push([`small-${i}.dat`, content(i, length)]));
  files.push(['sub/frame-and-a-bit.dat', content(3, (1 << 20) + 3)]);
  files.push(['sub/big.dat', content(4, 3_500_000)]);
  if (kind === 'mixed') files.push(['sub/half.dat', Buffer.concat([text(1 << 20, 9), randomBytesSeeded(1 << 20, 9)])]);
  for (const [path, bytes] of files) writeFileSync(join(dir, path), bytes);
  return files.reduce((n, [, b]) => n + b.length, 0);
}

/** Changes that make the next level store deltas of every kind of piece. */
function change(dir: string, round: number): void {
  const big = join(dir, 'sub', 'big.dat');
  const bytes = readFileSync(big);
  writeFileSync(big, Buffer.concat([bytes.subarray(0, 100_000), text(70_000, round + 20), bytes.subarray(120_000)]));
  appendFileSync(join(dir, 'small-1.dat'), text(3_000, round));
  writeFileSync(join(dir, `new-${round}.txt`), text(50_000 * round, round));
}

async function entries(store: string, level: number): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for await (const e of listFiles(store, { name: NAME, level })) out.push(e);
  return out;
}

describeNative('compressed pieces', () => {
  const scratch = scratchDir('librsync-backup-compression-');
  afterAll(() => scratch.remove());
  let counter = 0;

  describe.each(MODES)('--compression %s', (mode) => {
    test.each(['text', 'random', 'mixed'] as TreeKind[])('a %s tree restores exactly at levels 0, 1 and 2', async (kind) => {
      const dir = scratch.path(`case-${counter++}`);
      const src = join(dir, 'src');
      const store = join(dir, 'store');
      const raw = makeTree(src, kind);
      const snapshots = [];
      const stored: number[] = [];
      for (let level = 0; level <= 2; level++) {
        if (level > 0) change(src, level);
        const result = await backup(src, store, { name: NAME, compression: mode, blockSize: 2048 });
        expect(result.level).toBe(level);
        stored.push(result.counts.bytesStored);
        snapshots.push(snapshotTree(src, { skipRootTime: true }));
      }
      for (let level = 0; level <= 2; level++) {
        const target = join(dir, `restored-${level}`);
        await restore(store, target, { name: NAME, level });
        expect(snapshotTree(target, { skipRootTime: true })).toEqual(snapshots[level]);
      }
      // Framed exactly when compressing; level 1 loaded level 0's (framed) signature: a delta, not a whole copy.
      const level1 = await entries(store, 1);
      const big = level1.find((e) => e.path === 'sub/big.dat')!;
      expect(big.recipe!.map((s) => s.kind)).toEqual(['raw', 'delta']);
      for (const e of level1.filter((x) => x.type === 'file')) {
        for (const ref of [...e.recipe!, e.signature!]) expect(ref.rawLength !== undefined).toBe(mode !== 'off');
      }
      const first = (await entries(store, 0)).find((e) => e.path === 'sub/big.dat')!.recipe![0];
      if (mode === 'off') expect(first.length).toBe(3_500_000);
      else expect(first.rawLength).toBe(3_500_000);
      // What level 0 stored, against the raw bytes (signatures add about 1%).
      const ratio = stored[0] / raw;
      if (mode === 'off' || kind === 'random') expect(ratio).toBeGreaterThan(1);
      if (kind === 'random') expect(ratio).toBeLessThan(1.03);
      if (mode !== 'off' && kind === 'text') expect(ratio).toBeLessThan(0.2);
      if (mode !== 'off' && kind === 'mixed') expect(ratio).toBeLessThan(0.75);
      expect((await verify(store, { name: NAME })).ok).toBe(true);
    });
  });

  test('a chain whose levels use different modes (as one begun before compression) restores every level', async () => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    makeTree(src, 'mixed');
    const snapshots = [];
    for (const [level, mode] of (['off', 'auto', 'max', 'off'] as CompressionMode[]).entries()) {
      if (level > 0) change(src, level);
      await backup(src, store, { name: NAME, compression: mode, blockSize: 2048 });
      snapshots.push(snapshotTree(src, { skipRootTime: true }));
    }
    const big = (await entries(store, 3)).find((e) => e.path === 'sub/big.dat')!;
    expect(big.recipe!.map((s) => s.rawLength !== undefined)).toEqual([false, true, true, false]);
    for (let level = 0; level < snapshots.length; level++) {
      const target = join(dir, `restored-${level}`);
      await restore(store, target, { name: NAME, level });
      expect(snapshotTree(target, { skipRootTime: true })).toEqual(snapshots[level]);
    }
  });

  test('a flipped byte inside a compressed piece: restore fails BACKUP_CORRUPT naming the file and writes no file; verify reports it', async () => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    makeTree(src, 'text');
    await backup(src, store, { name: NAME, compression: 'auto' });
    const step: RecipeStep = (await entries(store, 0)).find((e) => e.path === 'sub/big.dat')!.recipe![0];
    const pack = join(store, 'backups', NAME, 'chain-000001', step.backup, step.pack);
    const bytes = readFileSync(pack);
    // Its second frame is zstd: flip a byte in the middle of its payload.
    const firstFrame = parseFrameHeader(bytes, step.offset);
    const second = step.offset + FRAME_HEADER_BYTES + firstFrame.storedLength;
    const header = parseFrameHeader(bytes, second);
    expect(header.kind).toBe(1);
    bytes[second + FRAME_HEADER_BYTES + Math.floor(header.storedLength / 2)] ^= 0x10;
    writeFileSync(pack, bytes);
    const target = join(dir, 'restored');
    await expect(restore(store, target, { name: NAME })).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringMatching(/^'sub\/big.dat': its data stored by level 0 \(000000-L0\) is corrupt/),
    });
    expect(existsSync(join(target, 'sub', 'big.dat'))).toBe(false);
    expect(readdirSync(join(target, 'sub')).filter((n) => n !== 'frame-and-a-bit.dat')).toEqual([]);
    const report = await verify(store, { name: NAME });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'BACKUP_CORRUPT', path: 'sub/big.dat', message: expect.stringMatching(/'sub\/big.dat': its data stored by level 0/) })]);
  });

  test('a flipped header byte (a frame claiming more than it holds) is BACKUP_CORRUPT too', async () => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    makeTree(src, 'text');
    await backup(src, store, { name: NAME, compression: 'max' });
    const step: RecipeStep = (await entries(store, 0)).find((e) => e.path === 'sub/big.dat')!.recipe![0];
    const pack = join(store, 'backups', NAME, 'chain-000001', step.backup, step.pack);
    const bytes = readFileSync(pack);
    bytes[step.offset + 2] ^= 0x01; // raw length of the first frame, +/- 64 KiB
    writeFileSync(pack, bytes);
    await expect(restore(store, join(dir, 'restored'), { name: NAME, paths: ['sub/big.dat'] })).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringMatching(/^'sub\/big.dat': its data stored by level 0 \(000000-L0\) is corrupt \(frame at byte 0: /),
    });
  });

  test.each([
    ['a stored length beyond what its raw length allows', (r: RecipeStep) => ({ ...r, rawLength: 3 }), /manifest .* is corrupt: .*malformed raw length/],
    ['a raw length that is not a count', (r: RecipeStep) => ({ ...r, rawLength: -1 }), /manifest .* is corrupt: .*malformed raw length/],
    ['a raw length one short of what the frames hold', (r: RecipeStep) => ({ ...r, rawLength: r.rawLength! - 1 }), /^'sub\/big.dat': its delta stored by level 1 \(000001-L1\) is corrupt \(frame at byte \d+: more than the \d+ raw bytes expected\)/],
    ['a raw length one more than the frames hold', (r: RecipeStep) => ({ ...r, rawLength: r.rawLength! + 1 }), /^'sub\/big.dat': its delta stored by level 1 \(000001-L1\) is corrupt \(SHA-256 mismatch\)/],
  ])('a delta ref with %s is BACKUP_CORRUPT, and no file is written', async (_what, edit, message) => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    makeTree(src, 'text');
    await backup(src, store, { name: NAME });
    change(src, 1);
    await backup(src, store, { name: NAME });
    const manifest = join(store, 'backups', NAME, 'chain-000001', '000001-L1', 'manifest.jsonl');
    const lines = readManifest(manifest).split('\n').slice(0, -1);
    const body = lines
      .slice(0, -1)
      .map((line) => {
        const value = JSON.parse(line) as ManifestEntry;
        if (value.path !== 'sub/big.dat') return line;
        expect(value.recipe![1].kind).toBe('delta');
        return JSON.stringify({ ...value, recipe: [value.recipe![0], edit(value.recipe![1])] });
      })
      .map((l) => `${l}\n`)
      .join('');
    writeFileSync(manifest, sealed(body, JSON.parse(lines[lines.length - 1]) as Record<string, unknown>));
    const target = join(dir, 'restored');
    await expect(restore(store, target, { name: NAME, paths: ['sub/big.dat'] })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(message) });
    expect(existsSync(join(target, 'sub', 'big.dat'))).toBe(false);
  });

  test('CLI: --compression max is taken, an unknown mode is a usage error (exit 101) before anything is written', () => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    makeTree(src, 'text');
    const bad = runCli(['backup', src, join(dir, 'store-bad'), '--compression', 'fast'], { cwd: dir });
    expect(bad.status).toBe(101);
    expect(bad.stderr).toContain("--compression must be one of off, auto, max, not 'fast'");
    expect(existsSync(join(dir, 'store-bad'))).toBe(false);
    const sizes: Record<string, number> = {};
    for (const mode of ['off', 'max']) {
      const run = runCli(['backup', src, join(dir, `store-${mode}`), '--name', NAME, '--compression', mode, '--json'], { cwd: dir });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      sizes[mode] = (JSON.parse(run.stdout.toString()) as { packBytes: number }).packBytes;
    }
    expect(sizes.max).toBeLessThan(sizes.off * 0.2);
    const restored = runCli(['restore', join(dir, 'store-max'), join(dir, 'out'), '--name', NAME], { cwd: dir });
    expect(restored.status).toBe(0);
    expect(snapshotTree(join(dir, 'out'), { skipRootTime: true })).toEqual(snapshotTree(src, { skipRootTime: true }));
  });
});
