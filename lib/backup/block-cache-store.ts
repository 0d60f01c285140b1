// A layer over any store whose requests are costly (BackupStore.readBlockBytes):
// ranged reads of packs are served from aligned blocks, each fetched with
// one ranged read and kept in a small LRU cache. A restore's neighbouring
// files, and a level's signatures from one small signature pack, then cost
// one request per block instead of one per piece. Packs never change once
// written, so a cached block cannot go stale; everything else (manifests,
// writes, listings, locks) passes straight through.
//
// Memory: at most maxBlocks x blockBytes cached, plus the blocks readers
// hold while they pass them on (each reader holds one, and fetches the
// next one ahead): with the defaults 16 x 4 MiB = 64 MiB, plus 8 MiB per
// reader at most.
import { Readable } from 'node:stream';
import { LibrsyncError } from '../errors';
import { BackupStore, ByteRange } from './store';
import { StoreLayer } from './store-layer';

export const DEFAULT_CACHED_BLOCKS = 16;

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export class BlockCacheStore extends StoreLayer {
  /** Blocks by `key NUL index`, least recently used first; a failed fetch is dropped so that the next reader tries again. */
  private readonly blocks = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, Promise<number | undefined>>();

  constructor(
    inner: BackupStore,
    private readonly blockBytes: number,
    private readonly maxBlocks = DEFAULT_CACHED_BLOCKS,
  ) {
    super(inner);
  }

  override async remove(key: string): Promise<void> {
    for (const map of [this.blocks, this.sizes]) for (const id of [...map.keys()]) if (id === key || id.startsWith(`${key}/`) || id.startsWith(`${key}\0`)) map.delete(id);
    return this.inner.remove(key);
  }

  override readObject(key: string, range?: ByteRange): Readable {
    if (range === undefined || !key.endsWith('.pack')) return this.inner.readObject(key, range);
    return Readable.from(this.pieces(key, range), { objectMode: false });
  }

  private async *pieces(key: string, range: ByteRange): AsyncGenerator<Buffer> {
    const size = await this.size(key);
    if (size === undefined) throw new LibrsyncError('BACKUP_OBJECT_MISSING', `store object ${key} is missing`);
    const end = range.end ?? size;
    if (end > size) throw new LibrsyncError('BACKUP_CORRUPT', `store object ${key} ends at byte ${size}, before ${end}`);
    const B = this.blockBytes;
    for (let position = range.start; position < end; ) {
      const index = Math.floor(position / B);
      const block = this.block(key, index, size);
      if (end > (index + 1) * B) void this.block(key, index + 1, size).catch(() => undefined); // the next one, ahead
      const data = await block;
      const upTo = Math.min(end - index * B, data.length);
      yield data.subarray(position - index * B, upTo);
      position = index * B + upTo;
    }
  }

  private size(key: string): Promise<number | undefined> {
    let known = this.sizes.get(key);
    if (!known) {
      known = this.inner.objectSize(key);
      this.sizes.set(key, known);
      known.catch(() => this.sizes.delete(key));
      // Sizes are small: keep those of the packs the cached blocks come from, and a few more.
      while (this.sizes.size > this.maxBlocks * 4) this.sizes.delete(this.sizes.keys().next().value!);
    }
    return known;
  }

  private block(key: string, index: number, size: number): Promise<Buffer> {
    const id = `${key}\0${index}`;
    const cached = this.blocks.get(id);
    if (cached) {
      this.blocks.delete(id); // most recently used: to the end
      this.blocks.set(id, cached);
      return cached;
    }
    const start = index * this.blockBytes;
    const fetched = readAll(this.inner.readObject(key, { start, end: Math.min(size, start + this.blockBytes) }));
    this.blocks.set(id, fetched);
    fetched.catch(() => {
      if (this.blocks.get(id) === fetched) this.blocks.delete(id);
    });
    while (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value!);
    return fetched;
  }
}
