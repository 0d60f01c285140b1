// A file changed at several levels is rebuilt from its chain of deltas
// composed into one list of runs (lib/backup/delta-chain.ts), in one pass
// over its level-0 piece. Checked against the original bytes and against
// patching the levels one after the other, for chains of 1 to 12 levels of
// in-place edits, inserts, truncation, growth, reordered blocks, a sparse
// level 0 and a chain restarted by a delta against nothing; damage in a
// middle level (a flipped byte, a COPY past the end, a truncated delta)
// names that level; the memory held is bounded, and a chain too fragmented
// to compose within the bound is still rebuilt (level by level).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { deltaBuffer, patchBuffer, signatureBuffer } from '../lib';
import { ManifestEntry, backup, cat, listFiles, restore } from '../lib/backup';
import { composedBytes } from '../lib/backup/composed-version';
import { ChainTooFragmented, MAX_RUNS, RunList, composeLevel, literalSource } from '../lib/backup/delta-chain';
import { LITERAL_MEMORY_BUDGET, LiteralStore } from '../lib/backup/literal-store';
import { LibrsyncError } from '../lib/errors';
import { randomBytesSeeded, scratchDir } from './support/files';
import { sealed, withTrailer } from './support/manifest-seal';
import { readManifest } from './support/manifest-text';
import { describeNative } from './support/requirements';

const NAME = 'chain';
const MAGIC = Buffer.from([0x72, 0x73, 0x02, 0x36]);

/** A deterministic generator for edit positions. */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

type Edit = (v: Buffer, level: number) => Buffer;

const inPlace: Edit = (v, level) => {
  const out = Buffer.from(v);
  const pick = prng(level * 7919);
  for (let i = 0; i < 6; i++) randomBytesSeeded(700, level * 100 + i).copy(out, pick(Math.max(1, out.length - 700)));
  return out;
};
const insert: Edit = (v, level) => {
  const at = prng(level * 31)(v.length);
  return Buffer.concat([v.subarray(0, at), randomBytesSeeded(3000, level), v.subarray(at)]);
};
const truncate: Edit = (v) => v.subarray(0, Math.floor(v.length * 0.8));
const grow: Edit = (v, level) => Buffer.concat([v, randomBytesSeeded(20_000, level + 500)]);
/** The two halves swapped: COPYs out of order, so level 0 cannot be streamed in order. */
const swapHalves: Edit = (v) => Buffer.concat([v.subarray(v.length >> 1), v.subarray(0, v.length >> 1)]);
const rewrite: Edit = (v, level) => randomBytesSeeded(v.length, level + 900);
/** More literal bytes than the literal store holds in memory: it writes them to its scratch file. */
const bigInsert: Edit = (v, level) => Buffer.concat([v.subarray(0, 1000), randomBytesSeeded(LITERAL_MEMORY_BUDGET * 2 + 123, level + 77), v.subarray(1000)]);

const EDITS: Edit[] = [inPlace, insert, inPlace, truncate, grow, inPlace, swapHalves, inPlace, insert, bigInsert, inPlace, truncate];

async function* chunks(bytes: Buffer, size = 9_973): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

function damage(level: number): (why: string) => Error {
  return (why) => new LibrsyncError('BACKUP_CORRUPT', `level ${level}: ${why}`);
}

describeNative('composed delta chains', () => {
  const scratch = scratchDir('librsync-delta-chain-');
  afterAll(() => scratch.remove());
  let counter = 0;

  /** Versions 0..levels of a file and the delta from each to the next. */
  async function versions(levels: number, first: Buffer): Promise<{ versions: Buffer[]; deltas: Buffer[] }> {
    const out = [first];
    const deltas: Buffer[] = [];
    for (let k = 1; k <= levels; k++) {
      out.push(EDITS[(k - 1) % EDITS.length](out[k - 1], k));
      deltas.push(await deltaBuffer(await signatureBuffer(out[k - 1], { blockLength: 512 }), out[k]));
    }
    return { versions: out, deltas };
  }

  /**
   * Composes `deltas` over `base`; returns the runs and the bytes of one
   * pass with the base read from a file at the runs' positions, and, when
   * the runs use the base in order, of one pass streaming it.
   */
  async function composed(base: Buffer | undefined, deltas: Buffer[], sizes: number[]): Promise<{ runs: RunList; bytes: Buffer; streamed?: Buffer }> {
    const literals = new LiteralStore(scratch.path(`literals-${counter++}`));
    try {
      let runs = base ? RunList.base(base.length) : new RunList();
      for (const [i, d] of deltas.entries()) runs = await composeLevel(runs, chunks(d), sizes[i], literals, damage(i + 1));
      let path: string | undefined;
      if (base) writeFileSync((path = scratch.path(`base-${counter++}`)), base);
      const bytes = await collect(composedBytes(runs, literals, path ? { path } : undefined));
      const streamed = base && runs.readsBaseInOrder() ? await collect(composedBytes(runs, literals, { stream: chunks(base, 65_536), size: base.length, damaged: damage(0) })) : undefined;
      return { runs, bytes, streamed };
    } finally {
      await literals.close();
    }
  }

  it.each([1, 2, 3, 5, 8, 12])('%i levels composed give the last version, as patching level after level does', async (levels) => {
    const { versions: v, deltas } = await versions(levels, randomBytesSeeded(150_000, levels));
    let stepwise = v[0];
    for (const d of deltas) stepwise = await patchBuffer(stepwise, d);
    const { bytes, streamed } = await composed(v[0], deltas, v.slice(1).map((x) => x.length));
    expect(stepwise.equals(v[levels])).toBe(true);
    expect(bytes.equals(v[levels])).toBe(true);
    if (streamed) expect(streamed.equals(v[levels])).toBe(true);
    // In-place edits use level 0 in order (streamed once); after the swap of halves (level 7) it is out of order (a scratch copy).
    if (levels === 1) expect(streamed).toBeDefined();
    if (levels === 8) expect(streamed).toBeUndefined();
  });

  it('a level-0 stream of another size than level 0 is damage of level 0', async () => {
    const { versions: v, deltas } = await versions(1, randomBytesSeeded(50_000, 4));
    const literals = new LiteralStore(scratch.path(`literals-${counter++}`));
    try {
      const runs = await composeLevel(RunList.base(50_000), chunks(deltas[0]), v[1].length, literals, damage(1));
      for (const wrong of [v[0].subarray(0, 49_999), Buffer.concat([v[0], Buffer.from('x')])]) {
        await expect(collect(composedBytes(runs, literals, { stream: chunks(wrong), size: 50_000, damaged: damage(0) }))).rejects.toMatchObject({
          code: 'BACKUP_CORRUPT',
          message: 'level 0: it rebuilds a version of another size than 50000 bytes',
        });
      }
    } finally {
      await literals.close();
    }
  });

  it('composes a chain that starts with a delta against nothing (no base at all)', async () => {
    const first = randomBytesSeeded(40_000, 3);
    const alone = await deltaBuffer(await signatureBuffer(Buffer.alloc(0)), first);
    const { versions: v, deltas } = await versions(3, first);
    const { runs, bytes } = await composed(undefined, [alone, ...deltas], v.map((x) => x.length));
    expect(runs.count).toBeGreaterThan(0);
    expect(runs.usesBase()).toBe(false);
    expect(bytes.equals(v[3])).toBe(true);
  });

  it('a COPY past the end of the previous version, a longer version, a truncated or unknown command are damage of that level', async () => {
    const base = randomBytesSeeded(10_000, 5);
    const copy = (position: number, length: number): Buffer => Buffer.from([0x45 + 2 * 4 + 2, ...u32(position), ...u32(length)]);
    const cases: [Buffer[], RegExp][] = [
      [[Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0])]), Buffer.concat([MAGIC, copy(9_000, 1_001), Buffer.from([0])])], /level 2: a COPY of 1001 bytes at 9000 reaches past the end/],
      [[Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0])]), Buffer.concat([MAGIC, copy(0, 10_000), copy(0, 1), Buffer.from([0])])], /level 2: it rebuilds a version longer than 10000 bytes/],
      [[Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0])]), Buffer.concat([MAGIC, copy(0, 10_000)])], /level 2: the delta ends before its END command/],
      [[Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0])]), Buffer.concat([MAGIC, Buffer.from([0x60, 0])])], /level 2: unknown delta command 0x60/],
      [[Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0])]), Buffer.concat([MAGIC, Buffer.from([0x45, 0, 0, 0])])], /level 2: a COPY of length 0/],
      [[Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0])]), Buffer.from('not a delta')], /level 2: not a delta/],
    ];
    for (const [deltas, message] of cases) {
      await expect(composed(base, deltas, [10_000, 10_000])).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(message) });
    }
    // Bytes after END are ignored, as patch ignores them.
    const trailing = Buffer.concat([MAGIC, copy(0, 10_000), Buffer.from([0, 1, 2, 3])]);
    expect((await composed(base, [trailing], [10_000])).bytes.equals(base)).toBe(true);
    expect((await patchBuffer(base, trailing)).equals(base)).toBe(true);
  });

  it('holds at most MAX_RUNS runs a version, and literal bytes past the budget go to the scratch file', async () => {
    const list = new RunList();
    expect(() => {
      for (let i = 0; i <= MAX_RUNS; i++) list.push(i % 2 ? literalSource(i) : 2 * i, 1);
    }).toThrow(ChainTooFragmented);
    expect(list.count).toBe(MAX_RUNS);
    expect(list.starts.length).toBe(MAX_RUNS); // grown to the bound, never past it

    const spill = scratch.path(`spill-${counter++}`);
    const literals = new LiteralStore(spill);
    try {
      const bytes = randomBytesSeeded(LITERAL_MEMORY_BUDGET * 3, 9);
      for (let at = 0; at < bytes.length; at += 100_000) {
        literals.append(bytes.subarray(at, at + 100_000));
        await literals.settle();
      }
      expect(statSync(spill).size).toBeGreaterThanOrEqual(bytes.length - LITERAL_MEMORY_BUDGET);
      expect((await collect(literals.read(12_345, bytes.length - 20_000))).equals(bytes.subarray(12_345, bytes.length - 7_655))).toBe(true);
    } finally {
      await literals.close();
    }
    expect(existsSync(spill)).toBe(false);
  });

  /** A store holding `levels` + 1 levels of f.bin (EDITS in turn); returns it and each level's bytes. */
  async function storeOf(levels: number, first: Buffer | ((path: string) => void), edits: Edit[] = EDITS): Promise<{ store: string; src: string; v: Buffer[] }> {
    const dir = scratch.path(`store-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    mkdirSync(src, { recursive: true });
    const file = join(src, 'f.bin');
    if (typeof first === 'function') first(file);
    else writeFileSync(file, first);
    const v: Buffer[] = [readFileSync(file)];
    await backup(src, store, { name: NAME, blockSize: 1024 });
    for (let k = 1; k <= levels; k++) {
      const next = edits[(k - 1) % edits.length](v[k - 1], k);
      if (next.length === v[k - 1].length) {
        // In place, as a database writes: the same inode, only the changed blocks written (holes stay holes).
        const fd = openSync(file, 'r+');
        for (let at = 0; at < next.length; at += 4096) {
          if (!next.subarray(at, at + 4096).equals(v[k - 1].subarray(at, at + 4096))) writeSync(fd, next, at, Math.min(4096, next.length - at), at);
        }
        closeSync(fd);
      } else {
        writeFileSync(file, next);
      }
      v.push(next);
      await backup(src, store, { name: NAME });
    }
    return { store, src, v };
  }

  async function entryAt(store: string, level: number): Promise<ManifestEntry> {
    for await (const e of listFiles(store, { name: NAME, level })) if (e.path === 'f.bin') return e;
    throw new Error('no f.bin');
  }

  async function restored(store: string, level: number): Promise<Buffer> {
    const target = scratch.path(`restore-${counter++}`);
    await restore(store, target, { name: NAME, level });
    return readFileSync(join(target, 'f.bin'));
  }

  it('restore and cat rebuild every level of a 12-level chain exactly', async () => {
    const { store, v } = await storeOf(12, randomBytesSeeded(200_000, 21));
    const kinds = (await entryAt(store, 12)).recipe!.map((s) => s.kind);
    expect(kinds[0]).toBe('raw');
    expect(kinds.length).toBeGreaterThan(1);
    for (let level = 0; level <= 12; level++) expect(createHash('sha256').update(await restored(store, level)).digest('hex')).toBe(createHash('sha256').update(v[level]).digest('hex'));
    const parts: Buffer[] = [];
    const out = new Writable({ write: (chunk: Buffer, _e, cb) => (parts.push(chunk), cb()) });
    await cat(store, 'f.bin', out, { name: NAME, level: 9 });
    expect(Buffer.concat(parts).equals(v[9])).toBe(true);
  }, 120_000);

  it('a chain restarted by a delta against nothing (a rewritten file) is rebuilt without a base', async () => {
    const { store, v } = await storeOf(4, randomBytesSeeded(100_000, 22), [inPlace, rewrite, inPlace, insert]);
    const recipe = (await entryAt(store, 4)).recipe!;
    expect(recipe.map((s) => s.kind)).toEqual(['delta', 'delta', 'delta']);
    for (const level of [2, 3, 4]) expect((await restored(store, level)).equals(v[level])).toBe(true);
  });

  it('a sparse level 0 with in-place edits is rebuilt exactly, its holes kept', async () => {
    const MiB = 1 << 20;
    const { store, v } = await storeOf(3, (path) => {
      writeFileSync(path, '');
      execFileSync('truncate', ['-s', String(8 * MiB), path]);
      const fd = openSync(path, 'r+');
      writeSync(fd, randomBytesSeeded(100_000, 1), 0, 100_000, MiB);
      writeSync(fd, randomBytesSeeded(100_000, 2), 0, 100_000, 6 * MiB);
      closeSync(fd);
    }, [(b, level) => {
      const out = Buffer.from(b);
      randomBytesSeeded(4096, level).copy(out, MiB + level * 10_000);
      return out;
    }]);
    expect((await entryAt(store, 0)).recipe![0].extents).toBeDefined();
    const target = scratch.path(`restore-${counter++}`);
    await restore(store, target, { name: NAME, level: 3 });
    expect(readFileSync(join(target, 'f.bin')).equals(v[3])).toBe(true);
    if ((await entryAt(store, 3)).extents) expect(statSync(join(target, 'f.bin')).blocks * 512).toBeLessThan(2 * MiB);
  });

  function packPath(store: string, step: { backup: string; pack: string }): string {
    return join(store, 'backups', NAME, 'chain-000001', step.backup, step.pack);
  }

  function manifestPath(store: string, id: string): string {
    return join(store, 'backups', NAME, 'chain-000001', id, 'manifest.jsonl');
  }

  /**
   * Points step `index` of f.bin's recipe in backup `id` at `piece` (appended to
   * its pack, digest matching: a crafted store, not a flipped bit), and
   * optionally gives the entry a new size and SHA-256.
   */
  function craft(store: string, id: string, index: number, piece: Buffer, result?: Buffer): void {
    const path = manifestPath(store, id);
    const text = readManifest(path);
    const lines = text.split('\n').slice(0, -2);
    const entry = lines.map((l) => JSON.parse(l) as ManifestEntry).find((e) => e.path === 'f.bin')!;
    const step = entry.recipe![index];
    const pack = packPath(store, step);
    const offset = statSync(pack).size;
    appendFileSync(pack, piece);
    const sha256 = createHash('sha256').update(piece).digest('hex');
    const edited = lines.map((line) => {
      const value = JSON.parse(line) as ManifestEntry;
      if (value.path !== 'f.bin') return line;
      value.recipe![index] = { ...step, offset, length: piece.length, sha256, rawLength: undefined };
      if (result) {
        value.size = result.length;
        value.sha256 = createHash('sha256').update(result).digest('hex');
        value.recipe![index].size = result.length;
      }
      return JSON.stringify(value);
    });
    const trailer = JSON.parse(text.split('\n').slice(-2)[0]);
    writeFileSync(path, sealed(edited.map((l) => `${l}\n`).join(''), trailer));
    const owner = manifestPath(store, step.backup);
    writeFileSync(owner, withTrailer(readManifest(owner), (t) => void ((t.packs as Record<string, number>)[step.pack] = offset + piece.length)));
  }

  it.each([
    ['a flipped byte', 'flip'],
    ['a COPY past the end of level 1', 'copy'],
    ['a delta cut before its END', 'truncated'],
  ])('%s in the delta of level 2 of 4 is BACKUP_CORRUPT naming level 2, and no partial file is left', async (_what, how) => {
    const { store, v } = await storeOf(4, randomBytesSeeded(100_000, 23), [inPlace]);
    const recipe = (await entryAt(store, 4)).recipe!;
    expect(recipe.map((s) => s.kind)).toEqual(['raw', 'delta', 'delta', 'delta', 'delta']);
    const step = recipe[2];
    if (how === 'flip') {
      const bytes = readFileSync(packPath(store, step));
      bytes[step.offset + Math.floor(step.length / 2)] ^= 1;
      writeFileSync(packPath(store, step), bytes);
    } else {
      const copyPast = Buffer.from([0x45 + 2 * 4 + 2, ...u32(v[1].length - 10), ...u32(11)]);
      craft(store, '000004-L4', 2, how === 'copy' ? Buffer.concat([MAGIC, copyPast, Buffer.from([0])]) : Buffer.concat([MAGIC, Buffer.from([0x45 + 2 * 4 + 2, ...u32(0), ...u32(1000)])]));
    }
    const target = scratch.path(`restore-${counter++}`);
    await expect(restore(store, target, { name: NAME, level: 4 })).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringMatching(/'f.bin': its delta stored by level 2 \(000002-L2\) is corrupt/),
    });
    expect(readdirSync(target).filter((n) => n !== '.librsync-restore')).not.toContain('f.bin');
  });

  it('a level too fragmented to compose within MAX_RUNS is rebuilt level by level, exactly', async () => {
    const { store, v } = await storeOf(1, randomBytesSeeded(600_000, 24), [inPlace]);
    // 150,000 times: 2 bytes of level 0, then a 1-byte literal: 300,000 runs.
    const commands: Buffer[] = [MAGIC];
    const expected: Buffer[] = [];
    for (let i = 0; i < 150_000; i++) {
      commands.push(Buffer.from([0x45 + 2 * 4 + 0, ...u32(4 * i), 2, 1, i & 0xff]));
      expected.push(v[0].subarray(4 * i, 4 * i + 2), Buffer.from([i & 0xff]));
    }
    commands.push(Buffer.from([0]));
    const crafted = Buffer.concat(commands);
    const result = Buffer.concat(expected);
    expect((await patchBuffer(v[0], crafted)).equals(result)).toBe(true);
    craft(store, '000001-L1', 1, crafted, result);
    expect((await restored(store, 1)).equals(result)).toBe(true);
  }, 60_000);
});

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
