// The streams behind sparse files, on their own: ExtentFilter and
// expandExtents (a sparse raw piece and back, whatever the chunking), and
// the writers that leave holes (exact recorded extents for a restored
// file, zero blocks for an intermediate one), checked by content and by
// what the file system allocated (st_blocks, on tmpfs).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Extent } from '../lib/data-extents';
import { ExtentFilter } from '../lib/backup/extent-filter';
import { expandExtents } from '../lib/backup/extent-expander';
import { ScratchFileWriter, SparseAtomicFileWriter } from '../lib/backup/sparse-file-writer';
import { randomBytesSeeded } from './support/files';

const KiB = 1024;
const MiB = 1024 * KiB;
const ROOT = existsSync('/dev/shm') ? '/dev/shm' : undefined;

/** `content` in chunks of uneven sizes (1 byte to about 300 KiB), so no boundary lines up with an extent or a block. */
function chunked(content: Buffer, seed: number): Readable {
  const sizes = randomBytesSeeded(4096, seed);
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < content.length; i++) {
    const n = 1 + sizes[i % sizes.length] * 1200 + (i % 7);
    chunks.push(content.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks, { objectMode: false });
}

async function collect(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(stream, new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
  return Buffer.concat(parts);
}

/** A file's content with data at `extents` (random) and zeros elsewhere. */
function contentWith(size: number, extents: readonly Extent[]): Buffer {
  const out = Buffer.alloc(size);
  extents.forEach(([offset, length], i) => randomBytesSeeded(length, i + 1).copy(out, offset));
  return out;
}

const EXTENTS: Extent[] = [[0, 5000], [1 * MiB + 3, 70_000], [3 * MiB, 4096], [4 * MiB - 10, 10]];
const SIZE = 4 * MiB;

describe('extent filter and expander', () => {
  it('keep the data extents only, and give back the whole content, for any chunking', async () => {
    const content = contentWith(SIZE, EXTENTS);
    for (const seed of [1, 2, 3]) {
      const stored = await collect(chunked(content, seed).pipe(new ExtentFilter(EXTENTS)));
      expect(stored.equals(Buffer.concat(EXTENTS.map(([o, l]) => content.subarray(o, o + l))))).toBe(true);
      const back = await collect(chunked(stored, seed + 10).pipe(expandExtents(EXTENTS, SIZE, (why) => new Error(why))));
      expect(back.equals(content)).toBe(true);
    }
    // No extents at all: nothing stored, all zeros back.
    expect(await collect(chunked(Buffer.alloc(3 * MiB), 4).pipe(new ExtentFilter([])))).toHaveLength(0);
    expect((await collect(Readable.from([]).pipe(expandExtents([], 3 * MiB, (why) => new Error(why))))).equals(Buffer.alloc(3 * MiB))).toBe(true);
  });

  it('call a piece with more or fewer bytes than its extents damaged', async () => {
    const damaged = (why: string): Error => Object.assign(new Error(why), { code: 'BACKUP_CORRUPT' });
    const expand = (piece: Buffer): Promise<Buffer> => collect(Readable.from([piece]).pipe(expandExtents([[10, 100]], 1000, damaged)));
    await expect(expand(Buffer.alloc(101, 1))).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: 'it holds more bytes than its extents' });
    await expect(expand(Buffer.alloc(99, 1))).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: 'it holds fewer bytes than its extents' });
    expect((await expand(Buffer.alloc(100, 1))).equals(Buffer.concat([Buffer.alloc(10), Buffer.alloc(100, 1), Buffer.alloc(890)]))).toBe(true);
  });
});

(ROOT ? describe : describe.skip)('writers that leave holes (tmpfs)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(ROOT!, 'librsync-sparse-streams-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an intermediate version: holes wherever whole 4 KiB blocks are zeros, content exact', async () => {
    const content = contentWith(SIZE + 123, EXTENTS);
    const path = join(dir, 'scratch');
    await pipeline(chunked(content, 5), new ScratchFileWriter(path));
    expect(readFileSync(path).equals(content)).toBe(true);
    // The 4 KiB blocks the extents touch: [0, 8 KiB), [1 MiB, 1 MiB + 72 KiB), [3 MiB, +4 KiB), [4 MiB - 4 KiB, 4 MiB).
    expect(statSync(path).blocks * 512).toBe(8 * KiB + 72 * KiB + 4 * KiB + 4 * KiB);
    // Written again over an older version (the scratch files alternate): truncated, then holes again.
    await pipeline(chunked(Buffer.alloc(2 * MiB), 6), new ScratchFileWriter(path));
    expect(statSync(path).size).toBe(2 * MiB);
    expect(statSync(path).blocks).toBe(0);
  });

  it('a restored file: exactly its recorded extents allocated, even where its data is zeros', async () => {
    const extents: Extent[] = [[0, 8 * KiB], [1 * MiB, 4 * KiB]];
    const content = contentWith(SIZE, extents);
    content.fill(0, 4 * KiB, 8 * KiB); // zeros inside data: written, not a hole
    const path = join(dir, 'final');
    const notZeros = (at: number): Error => Object.assign(new Error(`byte ${at} is not zero`), { code: 'BACKUP_CORRUPT' });
    await pipeline(chunked(content, 7), new SparseAtomicFileWriter(path, extents, notZeros));
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(statSync(path).blocks * 512).toBe(12 * KiB);
  });

  it('a restored file with a non-zero byte in a hole: BACKUP_CORRUPT, no file, no temporary left', async () => {
    const sub = join(dir, 'bad');
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub);
    const content = contentWith(SIZE, [[0, 4 * KiB]]);
    content[2 * MiB + 5] = 1;
    const notZeros = (at: number): Error => Object.assign(new Error(`byte ${at} is not zero`), { code: 'BACKUP_CORRUPT' });
    const writer = new SparseAtomicFileWriter(join(sub, 'f'), [[0, 4 * KiB]], notZeros);
    await expect(pipeline(chunked(content, 8), writer)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: `byte ${2 * MiB + 5} is not zero` });
    await writer.settled();
    expect(readdirSync(sub)).toEqual([]);
  });
});
