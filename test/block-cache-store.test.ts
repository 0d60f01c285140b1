// Ranged reads of packs through aligned, cached blocks (stores with costly
// requests): exact bytes for any range, one inner read per block, the same
// typed errors, a failed fetch tried again, and a bounded cache; and a
// restore and a level N through it needing far fewer reads than pieces.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { backup, LocalDirectoryStore, restore } from '../lib/backup';
import { PlainStoreCheck } from '../lib/backup/encrypted-store/plain-store-check';
import { BlockCacheStore } from '../lib/backup/block-cache-store';
import { openStoreArgument } from '../lib/backup/open-store';
import { ByteRange } from '../lib/backup/store';
import { scratchDir } from './support/files';

/** A local store that counts ranged reads of packs and can fail the next N of them. */
class CountingStore extends LocalDirectoryStore {
  packReads: ByteRange[] = [];
  failNext = 0;
  readonly readBlockBytes: number | undefined;
  constructor(dir: string, readBlockBytes?: number) {
    super(dir);
    this.readBlockBytes = readBlockBytes;
  }
  override readObject(key: string, range?: ByteRange): Readable {
    if (range && key.endsWith('.pack')) {
      this.packReads.push(range);
      if (this.failNext > 0) {
        this.failNext--;
        return Readable.from((async function* () {
          throw Object.assign(new Error('connection reset'), { code: 'STORE_UNAVAILABLE' });
        })());
      }
    }
    return super.readObject(key, range);
  }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('BlockCacheStore', () => {
  const scratch = scratchDir('librsync-block-cache-');
  afterAll(() => scratch.remove());
  const data = randomBytes(100_000);

  async function storeWithPack(name: string): Promise<CountingStore> {
    const inner = new CountingStore(scratch.path(name));
    await inner.open({ create: true });
    const w = inner.writeObject('n/c/b/d-000001.pack');
    await new Promise<void>((resolve, reject) => w.end(data, () => resolve()).once('error', reject));
    await w.settled();
    return inner;
  }

  it('gives exact bytes for any range, one inner read per block', async () => {
    const inner = await storeWithPack('exact');
    const cache = new BlockCacheStore(inner, 4096, 64);
    for (const [start, end] of [[0, 10], [4090, 4100], [0, 100_000], [99_999, 100_000], [50_000, 50_000], [12_345, 67_890]]) {
      expect((await readAll(cache.readObject('n/c/b/d-000001.pack', { start, end }))).equals(data.subarray(start, end))).toBe(true);
    }
    expect((await readAll(cache.readObject('n/c/b/d-000001.pack', { start: 99_000 }))).equals(data.subarray(99_000))).toBe(true);
    // 100,000 bytes are 25 blocks of 4096: each read once, every later range served from the cache.
    expect(inner.packReads).toHaveLength(25);
    expect(new Set(inner.packReads.map((r) => r.start)).size).toBe(25);
    expect(inner.packReads.every((r) => r.start % 4096 === 0 && r.end! - r.start <= 4096)).toBe(true);
  });

  it('reads non-pack objects, and whole objects, straight through', async () => {
    const inner = await storeWithPack('through');
    const cache = new BlockCacheStore(inner, 4096);
    expect((await readAll(cache.readObject('n/c/b/d-000001.pack'))).equals(data)).toBe(true);
    expect(inner.packReads).toHaveLength(0);
  });

  it('keeps the typed errors: a missing pack, a range past the end', async () => {
    const inner = await storeWithPack('errors');
    const cache = new BlockCacheStore(inner, 4096);
    await expect(readAll(cache.readObject('n/c/b/d-000009.pack', { start: 0, end: 1 }))).rejects.toMatchObject({ code: 'BACKUP_OBJECT_MISSING', message: 'store object n/c/b/d-000009.pack is missing' });
    await expect(readAll(cache.readObject('n/c/b/d-000001.pack', { start: 99_990, end: 100_010 }))).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: 'store object n/c/b/d-000001.pack ends at byte 100000, before 100010',
    });
  });

  it('drops a failed block, so that the next read fetches it again', async () => {
    const inner = await storeWithPack('retry');
    const cache = new BlockCacheStore(inner, 4096);
    inner.failNext = 1;
    await expect(readAll(cache.readObject('n/c/b/d-000001.pack', { start: 0, end: 100 }))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await readAll(cache.readObject('n/c/b/d-000001.pack', { start: 0, end: 100 }))).equals(data.subarray(0, 100))).toBe(true);
  });

  it('keeps at most maxBlocks blocks: a block evicted is fetched again', async () => {
    const inner = await storeWithPack('bounded');
    const cache = new BlockCacheStore(inner, 4096, 4);
    for (let i = 0; i < 8; i++) await readAll(cache.readObject('n/c/b/d-000001.pack', { start: i * 4096, end: i * 4096 + 1 }));
    const before = inner.packReads.length;
    await readAll(cache.readObject('n/c/b/d-000001.pack', { start: 7 * 4096, end: 7 * 4096 + 1 })); // still cached
    expect(inner.packReads.length).toBe(before);
    await readAll(cache.readObject('n/c/b/d-000001.pack', { start: 0, end: 1 })); // evicted long ago
    expect(inner.packReads.length).toBe(before + 1);
  });
});

describe('the engine through a store that asks for blocks', () => {
  const scratch = scratchDir('librsync-block-engine-');
  afterAll(() => scratch.remove());

  it('restores and makes a level 1 exactly, with one read per block rather than one per piece', async () => {
    const src = scratch.path('src');
    mkdirSync(src);
    const files = 300;
    for (let i = 0; i < files; i++) writeFileSync(join(src, `f${String(i).padStart(3, '0')}`), randomBytes(1000 + i));
    const dir = scratch.path('store');
    await backup(src, dir);
    for (let i = 0; i < files; i += 3) writeFileSync(join(src, `f${String(i).padStart(3, '0')}`), randomBytes(1000 + i));

    // Wrapped by the engine itself, as an S3Store is.
    const plain = new CountingStore(dir);
    const blocked = new CountingStore(dir, 1 << 20);
    // Without a passphrase each is checked to be a plain store; only the one asking for blocks is read through the cache.
    const opened = [openStoreArgument(blocked), openStoreArgument(plain)] as PlainStoreCheck[];
    expect(opened.map((o) => o.constructor)).toEqual([PlainStoreCheck, PlainStoreCheck]);
    expect(opened[0].inner).toBeInstanceOf(BlockCacheStore);
    expect(opened[1].inner).toBe(plain);

    const level1 = await backup(src, blocked);
    expect(level1.level).toBe(1);
    // 100 changed files, each needing its previous signature: all in one small signature pack, one block.
    expect(blocked.packReads.length).toBe(1);

    const out = scratch.path('out');
    blocked.packReads = [];
    await restore(blocked, out);
    for (let i = 0; i < files; i++) {
      const name = `f${String(i).padStart(3, '0')}`;
      expect(readFileSync(join(out, name)).equals(readFileSync(join(src, name)))).toBe(true);
    }
    // 300 files from level 0's pack (~350 KB) and 100 deltas from level 1's: a block or two each.
    expect(blocked.packReads.length).toBeLessThanOrEqual(4);

    const outPlain = scratch.path('out-plain');
    await restore(plain, outPlain);
    expect(plain.packReads.length).toBeGreaterThanOrEqual(files);
  });
});
