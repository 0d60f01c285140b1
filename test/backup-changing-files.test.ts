// A file that changes while it is read: read again; if it keeps changing,
// stored as read (data, hash and signature agree), flagged, reported, and
// read again by the next backup. Also: --exclude patterns.
import { appendFileSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDirectoryStore, ManifestEntry, backup, listFiles, restore } from '../lib/backup';
import { BUFFERED_MAX_BYTES, captureFile } from '../lib/backup/file-capture';
import { PackWriter } from '../lib/backup/pack-writer';
import { racy, settledStat } from '../lib/backup/settled-stat';
import { open } from 'node:fs/promises';
import { randomBytesSeeded, scratchDir } from './support/files';
import { digestOf } from './support/tree-snapshot';
import { describeNative } from './support/requirements';

/** Bigger than what is read several at a time, so the read is visible in progress events. */
const SIZE = 3 << 20;

describeNative('files changing during a backup', () => {
  const scratch = scratchDir('librsync-backup-changing-');
  afterAll(() => scratch.remove());

  async function entryOf(store: string, path: string): Promise<ManifestEntry> {
    for await (const e of listFiles(store, {})) if (e.path === path) return e;
    throw new Error(`no ${path}`);
  }

  /** A source directory holding one SIZE-byte file, and a store path beside it. */
  function oneFile(name: string, file: string, seed: number): { src: string; store: string } {
    const src = scratch.path(name);
    mkdirSync(src);
    writeFileSync(join(src, file), randomBytesSeeded(SIZE, seed));
    return { src, store: scratch.path(`${name}-store`) };
  }

  /** SHA-256 of `path` as the newest backup restores it. */
  async function restoredDigest(store: string, path: string): Promise<string> {
    const target = scratch.path(`out-${Math.random().toString(36).slice(2)}`);
    await restore(store, target, { paths: [path] });
    return digestOf(join(target, path));
  }

  it('reads a file again when it changed during the first read', async () => {
    const { src, store } = oneFile('once', 'log.bin', 1);
    let changed = false;
    const warnings: string[] = [];
    const result = await backup(src, store, {
      onWarning: (w) => warnings.push(w.message),
      onProgress: (p) => {
        if (p.path === 'log.bin' && p.bytes > 0 && !changed) {
          changed = true;
          appendFileSync(join(src, 'log.bin'), 'appended while read');
        }
      },
    });
    expect(changed).toBe(true);
    expect(warnings).toEqual([]);
    expect(result.counts.bytesRead).toBeGreaterThan(SIZE); // the first, abandoned read counts too
    expect((await entryOf(store, 'log.bin')).unstable).toBeUndefined();
    expect(await restoredDigest(store, 'log.bin')).toBe(digestOf(join(src, 'log.bin')));
  });

  it('stores what it read, flagged, when the file never holds still, and reads it again next time', async () => {
    const { src, store } = oneFile('always', 'busy.bin', 2);
    let appends = 0;
    const warnings: string[] = [];
    await backup(src, store, {
      onWarning: (w) => warnings.push(`${w.path}: ${w.message}`),
      onProgress: (p) => {
        if (p.path === 'busy.bin' && p.bytes > 0 && appends < 50) {
          appends++;
          appendFileSync(join(src, 'busy.bin'), 'more');
        }
      },
    });
    expect(warnings).toEqual(['busy.bin: changed while being read (3 attempts); stored as last read and read again next time']);
    const entry = await entryOf(store, 'busy.bin');
    expect(entry.unstable).toBe(true);
    // What is stored is one consistent read: the restore passes its hash check and is a prefix of the file.
    const target = scratch.path('always-out');
    await restore(store, target, {});
    const restored = readFileSync(join(target, 'busy.bin'));
    expect(restored.length).toBe(entry.size);
    expect(digestOf(readFileSync(join(src, 'busy.bin')).subarray(0, restored.length))).toBe(digestOf(restored));
    // Now quiet: the next backup reads it again although its stat has not changed since.
    const next = await backup(src, store, {});
    expect(next.counts.filesRead).toBe(1);
    const settled = await entryOf(store, 'busy.bin');
    expect([settled.read, settled.unstable]).toEqual([true, undefined]);
    expect(await restoredDigest(store, 'busy.bin')).toBe(digestOf(join(src, 'busy.bin')));
  });

  it('backs up the new file when one is saved over by rename while it is read', async () => {
    const { src, store } = oneFile('renamed-over', 'doc.bin', 3);
    let saved = false;
    const result = await backup(src, store, {
      onProgress: (p) => {
        if (p.path === 'doc.bin' && p.bytes > 0 && !saved) {
          saved = true;
          writeFileSync(join(src, 'doc.bin.new'), randomBytesSeeded(SIZE, 4));
          renameSync(join(src, 'doc.bin.new'), join(src, 'doc.bin'));
        }
      },
    });
    expect(saved).toBe(true);
    expect(result.counts).toMatchObject({ files: 1, deleted: 0, warnings: 0 });
    expect(await restoredDigest(store, 'doc.bin')).toBe(digestOf(randomBytesSeeded(SIZE, 4)));
  });

  it('does not trust a read that begins in the clock tick of the last change (coarse mtimes)', async () => {
    const at = (mtimeNs: bigint) => ({ mtimeNs }) as never;
    const now = 1_800_000_000_123_456_789n;
    expect(racy(at(now - 1_000_000n), now)).toBe(true); // changed 1 ms ago: a change now could keep that mtime
    expect(racy(at(now - 50_000_000n), now)).toBe(false);
    expect(racy(at(now + 3_600_000_000_000n), now)).toBe(false); // an mtime an hour ahead cannot be repeated now
    expect(racy(at(1_800_000_000_000_000_000n), 1_800_000_001_000_000_000n)).toBe(true); // whole-second times: a second is one tick
    const path = scratch.path('just-written');
    writeFileSync(path, 'fresh');
    const handle = await open(path, 'r');
    try {
      const settled = await settledStat(handle, await handle.stat({ bigint: true }));
      expect(settled.racy).toBe(false);
      expect(BigInt(Date.now()) * 1_000_000n - settled.stat.mtimeNs).toBeGreaterThanOrEqual(20_000_000n);
    } finally {
      await handle.close();
    }
  });

  it('never buffers a file that grew past the small-file limit since the walk', async () => {
    // What the engine does for a file the walk saw small: a buffered capture, ahead of its turn.
    const store = new LocalDirectoryStore(scratch.path('grown-store'));
    await store.open({ create: true });
    const prefix = 'n/chain-000001/000000-L0';
    const ctx = {
      store,
      name: 'n',
      chain: 'chain-000001',
      blockSize: 1024,
      dataPack: new PackWriter(store, prefix, '000000-L0', 'd'),
      signaturePack: new PackWriter(store, prefix, '000000-L0', 's'),
      streamOptions: {},
      onBytes: () => undefined,
      warn: () => undefined,
    };
    const file = scratch.path('grown.bin');
    writeFileSync(file, randomBytesSeeded(BUFFERED_MAX_BYTES + 1, 7));
    expect(await captureFile(ctx, file, undefined, 'buffered')).toBe('too-big');
    const direct = await captureFile(ctx, file, undefined, 'direct');
    expect(direct).toMatchObject({ size: BUFFERED_MAX_BYTES + 1, unstable: false });
    await Promise.all([ctx.dataPack.abandon(), ctx.signaturePack.abandon()]);
  });

  it('leaves out what --exclude matches, at any depth or from the root', async () => {
    const src = scratch.path('excl');
    const store = scratch.path('excl-store');
    mkdirSync(join(src, 'a', 'cache'), { recursive: true });
    mkdirSync(join(src, 'cache'));
    for (const p of ['keep.txt', 'x.tmp', 'a/y.tmp', 'a/cache/c.txt', 'cache/top.txt', 'a/keep.log']) writeFileSync(join(src, p), p);
    await backup(src, store, { exclude: ['*.tmp', '/cache', 'a/**/*.log'] });
    const paths: string[] = [];
    for await (const e of listFiles(store, {})) paths.push(e.path);
    expect(paths).toEqual(['', 'a', 'a/cache', 'a/cache/c.txt', 'keep.txt']);
  });

  it('keeps a [!...] class of --exclude within one name, and refuses a malformed class as bad input', async () => {
    const src = scratch.path('excl-class');
    const store = scratch.path('excl-class-store');
    mkdirSync(join(src, 'a'), { recursive: true });
    for (const p of ['a/b', 'aXb', 'ayb']) writeFileSync(join(src, p), p);
    await backup(src, store, { exclude: ['a[!y]b'] });
    const paths: string[] = [];
    for await (const e of listFiles(store, {})) paths.push(e.path);
    expect(paths).toEqual(['', 'a', 'a/b', 'ayb']);
    await expect(backup(src, store, { exclude: ['[z-a]'] })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR', message: expect.stringContaining('[z-a]') });
  });

  it('never backs up a store that lies inside SOURCE', async () => {
    const src = scratch.path('self');
    mkdirSync(join(src, 'data'), { recursive: true });
    writeFileSync(join(src, 'data', 'x.txt'), 'x');
    const store = join(src, 'backups');
    await backup(src, store, {});
    const second = await backup(src, store, {});
    const paths: string[] = [];
    for await (const e of listFiles(store, {})) paths.push(e.path);
    expect(paths).toEqual(['', 'data', 'data/x.txt']);
    expect(second.counts.filesRead).toBe(0);
  });

  it('never backs up a store inside SOURCE when SOURCE is reached through a symlink', async () => {
    const real = scratch.path('real-src');
    mkdirSync(real);
    writeFileSync(join(real, 'x.txt'), 'x');
    const viaLink = scratch.path('linked-src');
    symlinkSync(real, viaLink);
    const store = join(real, 'backups'); // the same directory as linked-src/backups
    await backup(viaLink, store, {});
    await backup(viaLink, store, {});
    const paths: string[] = [];
    for await (const e of listFiles(store, {})) paths.push(e.path);
    expect(paths).toEqual(['', 'x.txt']);
  });

  it('follows a SOURCE that is a symlink to a file, and restores it under the name given', async () => {
    const real = scratch.path('db-2026.sqlite');
    writeFileSync(real, 'rows');
    const link = scratch.path('current.sqlite');
    symlinkSync(real, link);
    const store = scratch.path('single-link-store');
    await backup(link, store, {});
    const target = scratch.path('single-link-out');
    await restore(store, target, {});
    expect(readFileSync(join(target, 'current.sqlite'), 'utf8')).toBe('rows');
  });
});
