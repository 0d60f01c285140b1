// Damage to a store is found and named, never restored silently: a flipped
// byte in a piece, a missing pack, a truncated or edited manifest, a gap in
// a chain, a damaged signature, a foreign or newer store, a held lock.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LocalDirectoryStore, ManifestEntry, RecipeStep, backup, list, listFiles, restore, verify } from '../lib/backup';
import { ObjectWriter } from '../lib/backup/store';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';

import { sealed, withTrailer } from './support/manifest-seal';
import { snapshotTree, digestOf } from './support/tree-snapshot';
import { readManifest } from './support/manifest-text';

const NAME = 'damage';

describeNative('store damage', () => {
  const scratch = scratchDir('librsync-backup-integrity-');
  afterAll(() => scratch.remove());
  let counter = 0;

  /** A fresh store with two levels of a small tree; returns paths and the level-1 snapshot. */
  async function twoLevels(): Promise<{ src: string; store: string; snapshot: ReturnType<typeof snapshotTree> }> {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'big.bin'), randomBytesSeeded(100_000, 1));
    writeFileSync(join(src, 'sub', 'keep.txt'), randomBytesSeeded(5_000, 2));
    await backup(src, store, { name: NAME, blockSize: 1024 });
    const data = readFileSync(join(src, 'big.bin'));
    writeFileSync(join(src, 'big.bin'), Buffer.concat([data.subarray(0, 500), Buffer.from('inserted'), data.subarray(500)]));
    await backup(src, store, { name: NAME });
    return { src, store, snapshot: snapshotTree(src) };
  }

  async function entry(store: string, path: string, level: number): Promise<ManifestEntry> {
    for await (const e of listFiles(store, { level })) if (e.path === path) return e;
    throw new Error(`no ${path}`);
  }

  function packPath(store: string, step: { backup: string; pack: string }): string {
    return join(store, 'backups', NAME, 'chain-000001', step.backup, step.pack);
  }

  function flipByte(path: string, offset: number): void {
    const bytes = readFileSync(path);
    bytes[offset] ^= 0x01;
    writeFileSync(path, bytes);
  }

  function manifestPath(store: string, id: string): string {
    return join(store, 'backups', NAME, 'chain-000001', id, 'manifest.jsonl');
  }

  it.each([
    [1, 'delta', /'big.bin': its delta stored by level 1 \(000001-L1\) is corrupt/],
    [0, 'raw', /'big.bin': its data stored by level 0 \(000000-L0\) is corrupt/],
  ] as const)('names the file and level of a flipped byte in the level-%i piece, and leaves no partial file', async (level, kind, message) => {
    const { store } = await twoLevels();
    const step: RecipeStep = (await entry(store, 'big.bin', 1)).recipe![level];
    expect(step.kind).toBe(kind);
    flipByte(packPath(store, step), step.offset + Math.floor(step.length / 2));
    const target = scratch.path(`flip-${level}`);
    await expect(restore(store, target, {})).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(message) });
    expect(readdirSync(target)).not.toContain('big.bin');
    expect(readdirSync(target).filter((n) => n.includes('tmp') || n.startsWith('.librsync'))).toEqual([]);
    const report = await verify(store, {});
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'BACKUP_CORRUPT', backup: step.backup, path: 'big.bin', message: expect.stringMatching(message) }),
    ]);
  });

  it('stops a crafted delta that blows up an intermediate step, naming its level', async () => {
    const { src, store } = await twoLevels();
    writeFileSync(join(src, 'big.bin'), Buffer.concat([Buffer.from('again'), readFileSync(join(src, 'big.bin'))]));
    await backup(src, store, { name: NAME }); // level 2: big.bin is raw, delta, delta
    const recipe = (await entry(store, 'big.bin', 2)).recipe!;
    expect(recipe.map((s) => s.kind)).toEqual(['raw', 'delta', 'delta']);
    // A valid delta that copies the whole level-0 version 400 times: 40 MB out of 2.4 KB.
    const copy = Buffer.from([0x47, 0, 0, 0, 0, 0]);
    copy.writeUInt32BE(100_000, 2);
    const bomb = Buffer.concat([Buffer.from([0x72, 0x73, 0x02, 0x36]), ...Array<Buffer>(400).fill(copy), Buffer.from([0])]);
    const pack = packPath(store, recipe[1]);
    const offset = statSync(pack).size;
    appendFileSync(pack, bomb);
    const sha256 = createHash('sha256').update(bomb).digest('hex');
    // Re-point level 2's step at it, with the manifest's digest made to match: a crafted store, not a flipped bit.
    const path = manifestPath(store, '000002-L2');
    const lines = readManifest(path).split('\n').slice(0, -2);
    const edited = lines.map((line) => {
      const value = JSON.parse(line) as ManifestEntry;
      if (value.path !== 'big.bin') return line;
      value.recipe![1] = { ...value.recipe![1], offset, length: bomb.length, sha256 };
      return JSON.stringify(value);
    });
    const body = edited.map((l) => `${l}\n`).join('');
    const trailer = JSON.parse(readManifest(path).split('\n').slice(-2)[0]);
    writeFileSync(path, sealed(body, trailer));
    // Level 1 must own those bytes too (restore refuses a piece outside the pack size its writer recorded).
    const level1 = manifestPath(store, '000001-L1');
    writeFileSync(level1, withTrailer(readManifest(level1), (t) => void ((t.packs as Record<string, number>)[recipe[1].pack] = offset + bomb.length)));
    await expect(restore(store, scratch.path('bomb'), { paths: ['big.bin'] })).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringMatching(/'big.bin': its delta stored by level 1 \(000001-L1\) is corrupt/),
    });
  });

  it('refuses a crafted single-file manifest that would write through a symlink out of TARGET', async () => {
    const dir = scratch.path(`case-${counter++}`);
    const file = join(dir, 'single.bin');
    const store = join(dir, 'store');
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(file, randomBytesSeeded(5_000, 4));
    await backup(file, store, { name: NAME });
    const path = manifestPath(store, '000000-L0');
    const lines = readManifest(path).split('\n').slice(0, -1);
    const real = JSON.parse(lines[1]) as ManifestEntry;
    const link = { path: 'a', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: '0', target: outside };
    const body = [lines[0], JSON.stringify(link), JSON.stringify({ ...real, path: 'a/evil' }), lines[1]].map((l) => `${l}\n`).join('');
    const trailer = JSON.parse(lines[2]);
    writeFileSync(path, sealed(body, trailer));
    await expect(restore(store, join(dir, 'out'), {})).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('detects a trailer whose counts or pack sizes were altered (the digest covers them)', async () => {
    const { store } = await twoLevels();
    const path = manifestPath(store, '000001-L1');
    const lines = readManifest(path).split('\n');
    const trailer = JSON.parse(lines[lines.length - 2]);
    trailer.counts.filesRead += 1;
    lines[lines.length - 2] = JSON.stringify(trailer);
    writeFileSync(path, lines.join('\n'));
    await expect(restore(store, scratch.path(`case-${counter++}`), {})).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringContaining('its digest does not match its contents'),
    });
  });

  it('reads a trailer longer than the edge it first reads (a backup of thousands of packs)', async () => {
    const { store } = await twoLevels();
    const path = manifestPath(store, '000001-L1');
    const lines = readManifest(path).split('\n');
    const trailer = JSON.parse(lines[lines.length - 2]);
    // ~12,000 packs of 256 MiB (3 TiB) make a trailer of ~300 KB.
    for (let i = 2; i < 12_000; i++) trailer.packs[`d${String(i).padStart(6, '0')}.pack`] = 268435456;
    lines[lines.length - 2] = JSON.stringify(trailer);
    writeFileSync(path, lines.join('\n'));
    expect(statSync(path).size).toBeGreaterThan(300_000);
    const listed = await list(store);
    expect(listed.names[0].chains[0].problem).toBeUndefined();
    expect(listed.names[0].chains[0].backups.map((b) => b.id)).toEqual(['000000-L0', '000001-L1']);
  });

  it('never links a path to a file of other content, even when its manifest says so', async () => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'a'), 'the content of a\n');
    writeFileSync(join(src, 'b'), 'the content of b\n');
    await backup(src, store, { name: NAME });
    // A crafted manifest: 'b' (its own recipe and hash intact) claims to be a hard link of 'a'.
    const path = manifestPath(store, '000000-L0');
    const lines = readManifest(path).split('\n').slice(0, -1);
    const edited = lines.slice(0, -1).map((line) => {
      const value = JSON.parse(line) as ManifestEntry;
      if (value.path === 'a') return JSON.stringify({ ...value, hardLinked: true, links: 2 });
      if (value.path === 'b') return JSON.stringify({ ...value, hardLinked: true, linkTo: 'a' });
      return line;
    });
    const body = edited.map((l) => `${l}\n`).join('');
    const trailer = JSON.parse(lines[lines.length - 1]);
    writeFileSync(path, sealed(body, trailer));
    const target = join(dir, 'out');
    await restore(store, target, {});
    expect(readFileSync(join(target, 'b'), 'utf8')).toBe('the content of b\n');
  });

  it('reports a missing pack as BACKUP_OBJECT_MISSING', async () => {
    const { store } = await twoLevels();
    const step = (await entry(store, 'sub/keep.txt', 1)).recipe![0];
    unlinkSync(packPath(store, step));
    await expect(restore(store, scratch.path('missing-pack'), {})).rejects.toMatchObject({ code: 'BACKUP_OBJECT_MISSING' });
    const report = await verify(store, { level: 1 });
    expect(report.problems.map((p) => p.code)).toContain('BACKUP_OBJECT_MISSING');
  });

  it('reports a truncated manifest, refuses what needs it, still restores older levels', async () => {
    const { store } = await twoLevels();
    const path = manifestPath(store, '000001-L1');
    truncateSync(path, statSync(path).size - 40);
    const listed = await list(store);
    expect(listed.names[0].chains[0].problem).toMatch(/000001-L1\/manifest.jsonl is corrupt: truncated/);
    await expect(restore(store, scratch.path('truncated'), {})).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining('truncated') });
    await expect(restore(store, scratch.path('truncated-1'), { level: 1 })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
    const level0 = await restore(store, scratch.path('truncated-0'), { level: 0 });
    expect(level0.id).toBe('000000-L0');
    const report = await verify(store, {});
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'BACKUP_CORRUPT', backup: '000001-L1', message: expect.stringContaining('truncated') })]);
  });

  it('refuses an edited manifest (digest) before writing anything', async () => {
    const { store } = await twoLevels();
    const path = manifestPath(store, '000001-L1');
    const text = readManifest(path);
    writeFileSync(path, text.replace('"mode":420', '"mode":511'));
    expect(readManifest(path)).not.toBe(text);
    const target = scratch.path('edited');
    await expect(restore(store, target, {})).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining('digest') });
    expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
    expect((await verify(store, {})).problems.map((p) => p.backup)).toEqual(['000001-L1']);
  });

  it('treats a gap in a chain as broken, and a level 0 starts afresh', async () => {
    const { src, store } = await twoLevels();
    await backup(src, store, { name: NAME }); // level 2
    unlinkSync(manifestPath(store, '000001-L1'));
    await expect(restore(store, scratch.path('gap'), { level: 2 })).rejects.toMatchObject({ code: 'BACKUP_CHAIN_BROKEN' });
    await expect(backup(src, store, { name: NAME })).rejects.toMatchObject({ code: 'BACKUP_CHAIN_BROKEN' });
    const restarted = await backup(src, store, { name: NAME, level: 0 });
    expect([restarted.chain, restarted.level]).toEqual(['chain-000002', 0]);
    const level0 = scratch.path('gap-level0');
    await restore(store, level0, { level: 0 });
    expect(digestOf(join(level0, 'big.bin'))).toBe(digestOf(join(src, 'big.bin')));
  });

  it('keeps the data of a backup whose manifest went missing in the middle of a chain', async () => {
    const { src, store } = await twoLevels();
    await backup(src, store, { name: NAME }); // level 2, whose files need level 1's pieces
    unlinkSync(manifestPath(store, '000001-L1'));
    const level1 = join(store, 'backups', NAME, 'chain-000001', '000001-L1');
    const packs = readdirSync(level1).sort();
    expect(packs.length).toBeGreaterThan(0);
    await expect(backup(src, store, { name: NAME })).rejects.toMatchObject({ code: 'BACKUP_CHAIN_BROKEN' });
    // Not an interrupted run's leftover (a later backup was committed): the next run must not delete it.
    expect(readdirSync(level1).sort()).toEqual(packs);
    await backup(src, store, { name: NAME, level: 0 });
    expect(readdirSync(level1).sort()).toEqual(packs);
  });

  it('keeps a chain whose only manifest is damaged', async () => {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'only.bin'), randomBytesSeeded(20_000, 3));
    await backup(src, store, { name: NAME, blockSize: 1024 });
    const path = manifestPath(store, '000000-L0');
    truncateSync(path, statSync(path).size - 40);
    const chain = join(store, 'backups', NAME, 'chain-000001');
    const before = readdirSync(join(chain, '000000-L0')).sort();
    const next = await backup(src, store, { name: NAME });
    expect([next.chain, next.level]).toEqual(['chain-000002', 0]);
    // Damage is reported (list, verify), never "cleaned up" with the data that might still be recovered.
    expect(readdirSync(join(chain, '000000-L0')).sort()).toEqual(before);
    expect((await list(store)).names[0].chains[0].problem).toMatch(/truncated/);
  });

  it('does not load a previous signature longer than its file could have, whatever its digest says', async () => {
    const { src, store } = await twoLevels();
    const path = manifestPath(store, '000001-L1');
    const lines = readManifest(path).split('\n').slice(0, -1);
    const body = lines
      .slice(0, -1)
      .map((line) => {
        const value = JSON.parse(line) as ManifestEntry;
        if (value.path !== 'big.bin') return line;
        // A compressed signature's raw length is the one checked (its stored length is bounded by it).
        const sig = value.signature!;
        return JSON.stringify({ ...value, signature: { ...sig, length: 1 << 30, ...(sig.rawLength !== undefined && { rawLength: 1 << 30 }) } });
      })
      .map((l) => `${l}\n`)
      .join('');
    writeFileSync(path, sealed(body, JSON.parse(lines[lines.length - 1])));
    writeFileSync(join(src, 'big.bin'), Buffer.concat([readFileSync(join(src, 'big.bin')), Buffer.from('tail')]));
    const warnings: string[] = [];
    await backup(src, store, { name: NAME, onWarning: (w) => warnings.push(`${w.path}: ${w.message}`) });
    expect(warnings).toEqual([expect.stringMatching(/^big.bin: previous signature unusable, stored whole: its 1073741824 bytes are more than/)]);
    expect((await entry(store, 'big.bin', 2)).recipe!.map((s) => s.kind)).toEqual(['raw']);
  });

  it('stores a file whole, with a warning, when its previous signature is damaged', async () => {
    const { src, store } = await twoLevels();
    const sig = (await entry(store, 'big.bin', 1)).signature!;
    flipByte(packPath(store, sig), sig.offset + 20);
    writeFileSync(join(src, 'big.bin'), Buffer.concat([readFileSync(join(src, 'big.bin')), Buffer.from('tail')]));
    const warnings: string[] = [];
    const result = await backup(src, store, { name: NAME, onWarning: (w) => warnings.push(`${w.path}: ${w.message}`) });
    expect(warnings).toEqual([expect.stringMatching(/^big.bin: previous signature unusable, stored whole: .*signature of 'big.bin'.*corrupt/)]);
    expect(result.counts.warnings).toBe(1);
    expect((await entry(store, 'big.bin', 2)).recipe!.map((s) => [s.backup, s.kind])).toEqual([['000002-L2', 'raw']]);
    const target = scratch.path('whole-again');
    await restore(store, target, {});
    expect(digestOf(join(target, 'big.bin'))).toBe(digestOf(join(src, 'big.bin')));
  });

  it('refuses a directory that is not a store, or a newer store format', async () => {
    const foreign = scratch.path('foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'x'), 'not a store');
    await expect(backup(scratch.path('foreign'), foreign, {})).rejects.toMatchObject({ code: 'BACKUP_STORE_INVALID' });
    await expect(restore(foreign, scratch.path('foreign-out'), {})).rejects.toMatchObject({ code: 'BACKUP_STORE_INVALID' });
    const { store } = await twoLevels();
    writeFileSync(join(store, 'librsync-backup.json'), '{"format":"librsync-backup","version":99}\n');
    await expect(list(store)).rejects.toMatchObject({ code: 'BACKUP_STORE_INVALID', message: expect.stringContaining('version 99') });
  });

  it('refuses a store locked by a live process and takes over a stale lock', async () => {
    const { src, store } = await twoLevels();
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(join(store, 'lock'), JSON.stringify({ pid: sleeper.pid, host: hostname(), since: 'then' }));
      await expect(backup(src, store, { name: NAME })).rejects.toMatchObject({ code: 'BACKUP_LOCKED', message: expect.stringContaining(String(sleeper.pid)) });
    } finally {
      sleeper.kill();
    }
    await new Promise((resolve) => sleeper.once('exit', resolve));
    const result = await backup(src, store, { name: NAME });
    expect(result.level).toBe(2);
    expect(existsSync(join(store, 'lock'))).toBe(false);
  });

  it('fails cleanly on a full disk: the error, no leftovers, earlier levels intact', async () => {
    const { src, store, snapshot } = await twoLevels();
    /** A store whose pack writes fail with ENOSPC once 20 KB have gone through. */
    class FullDisk extends LocalDirectoryStore {
      override writeObject(key: string): ObjectWriter {
        const writer = super.writeObject(key);
        if (!key.endsWith('.pack')) return writer;
        let written = 0;
        const full = (bytes: number): Error | null => {
          written += bytes;
          return written > 20_000 ? Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) : null;
        };
        const write = writer._write.bind(writer);
        const writev = writer._writev!.bind(writer);
        writer._write = (chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void => {
          const error = full(chunk.length);
          if (error) callback(error);
          else write(chunk, encoding, callback);
        };
        writer._writev = (chunks: { chunk: Buffer; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void => {
          const error = full(chunks.reduce((n, c) => n + c.chunk.length, 0));
          if (error) callback(error);
          else writev(chunks, callback);
        };
        return writer as Writable as ObjectWriter;
      }
    }
    writeFileSync(join(src, 'big.bin'), randomBytesSeeded(100_000, 9));
    await expect(backup(src, new FullDisk(store), { name: NAME })).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readdirSync(join(store, 'backups', NAME, 'chain-000001')).sort()).toEqual(['000000-L0', '000001-L1']);
    expect(existsSync(join(store, 'lock'))).toBe(false);
    const target = scratch.path('full-disk');
    await restore(store, target, {});
    expect(snapshotTree(target)).toEqual(snapshot);
    expect((await backup(src, store, { name: NAME })).id).toBe('000002-L2');
  });
});
