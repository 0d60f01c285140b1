// The frame codec that compressed pieces and manifests are stored in:
// exact round trips at every frame boundary, incompressible data stored as
// is in auto, and every kind of damage (including decompression bombs)
// refused with BACKUP_CORRUPT, on the native library and on its wasm fallback.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { compress as zstdCompress } from 'zstd-napi';
import {
  CompressionMode,
  FRAME_HEADER_BYTES,
  FRAME_RAW_MAX,
  FrameDecoder,
  FrameEncoder,
  ZstdPool,
  decodeFrame,
  encodeFrame,
  parseFrameHeader,
} from '../lib/backup/compression';
import { LibrsyncError } from '../lib/errors';
import { randomBytesSeeded } from './support/files';

function textOf(length: number): Buffer {
  const words = ['backup', 'level', 'signature', 'delta', 'manifest', 'piece', 'store', 'frame', 'restore', 'verify'];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `${i} ${words[i % 7]} ${words[(i * 3) % 10]} ${words[(i * 7) % 9]}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, length);
}

function header(kind: number, rawLength: number, storedLength: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h[0] = kind;
  h.writeUInt32BE(rawLength, 1);
  h.writeUInt32BE(storedLength, 5);
  return h;
}

async function collect(source: Iterable<Buffer> | Buffer, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(Buffer.isBuffer(source) ? [source] : source),
    transform,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

/** Splits a framed string into its frames' headers. */
function headersOf(framed: Buffer): { kind: number; rawLength: number; storedLength: number }[] {
  const found = [];
  for (let at = 0; at < framed.length; ) {
    const h = parseFrameHeader(framed, at);
    found.push(h);
    at += FRAME_HEADER_BYTES + h.storedLength;
  }
  return found;
}

async function expectCorrupt(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibrsyncError);
  expect((err as LibrsyncError).code).toBe('BACKUP_CORRUPT');
  expect((err as LibrsyncError).message).toMatch(message);
}

const pools: Record<string, ZstdPool> = { native: new ZstdPool({ backend: 'native' }), wasm: new ZstdPool({ backend: 'wasm' }) };
afterAll(async () => {
  for (const pool of Object.values(pools)) await pool.close();
});

test('the native library loads here, and the wasm fallback too', async () => {
  expect(await pools.native.backend()).toBe('native');
  expect(await pools.wasm.backend()).toBe('wasm');
});

describe.each(['native', 'wasm'])('frames on %s zstd', (backend) => {
  const pool = (): ZstdPool => pools[backend];

  test.each([0, 1, FRAME_RAW_MAX - 1, FRAME_RAW_MAX, FRAME_RAW_MAX + 1, 3 * FRAME_RAW_MAX + 12345])('a stream of %i text bytes round trips exactly', async (length) => {
    const raw = textOf(length);
    for (const mode of ['off', 'auto', 'max'] as CompressionMode[]) {
      // In uneven chunks, so that frames span chunks.
      const chunks: Buffer[] = [];
      for (let at = 0; at < raw.length; at += 300_001) chunks.push(raw.subarray(at, at + 300_001));
      const framed = await collect(chunks, new FrameEncoder({ mode, pool: pool() }));
      const headers = headersOf(framed);
      expect(headers.map((h) => h.rawLength)).toEqual(Array.from({ length: Math.ceil(length / FRAME_RAW_MAX) }, (_, i) => Math.min(FRAME_RAW_MAX, length - i * FRAME_RAW_MAX)));
      // A frame of a few bytes is stored as is.
      expect(headers.map((h) => h.kind)).toEqual(headers.map((h) => (mode === 'off' || h.rawLength < 64 ? 0 : 1)));
      if (mode !== 'off' && length > 1000) expect(framed.length).toBeLessThan(raw.length / 4);
      // Fed back one byte-ish slice at a time, and as one buffer.
      const slices: Buffer[] = [];
      for (let at = 0; at < framed.length; at += 7_777) slices.push(framed.subarray(at, at + 7_777));
      expect((await collect(slices, new FrameDecoder({ pool: pool(), maxRawBytes: length }))).equals(raw)).toBe(true);
      expect((await collect(framed, new FrameDecoder({ pool: pool() }))).equals(raw)).toBe(true);
    }
  });

  test('random data stays stored as is in auto (and in max), text is compressed', async () => {
    const random = randomBytesSeeded(FRAME_RAW_MAX, 7);
    for (const mode of ['auto', 'max'] as CompressionMode[]) {
      const frame = await encodeFrame(random, mode, pool());
      expect(parseFrameHeader(frame, 0)).toEqual({ kind: 0, rawLength: FRAME_RAW_MAX, storedLength: FRAME_RAW_MAX });
      expect(frame.subarray(FRAME_HEADER_BYTES).equals(random)).toBe(true);
    }
    const text = textOf(200_000);
    const auto = await encodeFrame(text, 'auto', pool());
    const max = await encodeFrame(text, 'max', pool());
    expect(auto[0]).toBe(1);
    expect(max[0]).toBe(1);
    expect(max.length).toBeLessThanOrEqual(auto.length);
    expect((await decodeFrame(auto, pool())).equals(text)).toBe(true);
    expect((await decodeFrame(max, pool())).equals(text)).toBe(true);
    // Under 64 bytes zstd is not even tried.
    expect((await encodeFrame(textOf(63), 'max', pool()))[0]).toBe(0);
    const off = await encodeFrame(text, 'off', pool());
    expect(off.equals(Buffer.concat([header(0, text.length, text.length), text]))).toBe(true);
  });

  test('a frame written by one library is read by the other', async () => {
    const text = textOf(500_000);
    const other = pools[backend === 'native' ? 'wasm' : 'native'];
    expect((await decodeFrame(await encodeFrame(text, 'auto', pool()), other)).equals(text)).toBe(true);
  });

  test('every kind of damage is BACKUP_CORRUPT', async () => {
    const text = textOf(100_000);
    const good = await encodeFrame(text, 'auto', pool());
    const payload = good.subarray(FRAME_HEADER_BYTES);
    const dec = (frame: Buffer): Promise<Buffer> => decodeFrame(frame, pool());
    const stream = (framed: Buffer, maxRawBytes?: number): Promise<Buffer> => collect(framed, new FrameDecoder({ pool: pool(), maxRawBytes }));
    await expectCorrupt(dec(Buffer.concat([header(2, text.length, payload.length), payload])), /frame at byte 0: unknown kind 2/);
    await expectCorrupt(dec(header(0, 0, 0)), /raw length 0 is outside/);
    await expectCorrupt(dec(Buffer.concat([header(0, FRAME_RAW_MAX + 1, FRAME_RAW_MAX + 1), Buffer.alloc(FRAME_RAW_MAX + 1)])), /raw length 1048577 is outside/);
    await expectCorrupt(dec(Buffer.concat([header(0, 10, 11), Buffer.alloc(11)])), /stored length 11 differs/);
    await expectCorrupt(dec(Buffer.concat([header(1, 10, 11), Buffer.alloc(11)])), /stored length 11 is outside 1..10/);
    await expectCorrupt(dec(header(1, 10, 0)), /stored length 0 is outside/);
    await expectCorrupt(dec(good.subarray(0, 5)), /truncated header/);
    await expectCorrupt(dec(good.subarray(0, good.length - 1)), /stored bytes announced/);
    await expectCorrupt(dec(Buffer.concat([good, Buffer.from([0])])), /1 bytes after the frame/);
    // A flipped byte inside the zstd payload (its checksum-free body).
    const flipped = Buffer.from(good);
    flipped[FRAME_HEADER_BYTES + Math.floor(payload.length / 2)] ^= 0x55;
    await expectCorrupt(dec(flipped), /zstd|holds/);
    // Streams: cut frames, stray bytes at the end, more than expected.
    const two = Buffer.concat([good, good]);
    await expectCorrupt(stream(two.subarray(0, two.length - 3)), new RegExp(`frame at byte ${good.length}: ${payload.length} stored bytes announced, ${payload.length - 3} present`));
    await expectCorrupt(stream(Buffer.concat([two, Buffer.from([1, 0, 0])])), new RegExp(`the 3 bytes at byte ${two.length} do not form a frame`));
    await expectCorrupt(stream(Buffer.concat([good, header(7, 1, 1), Buffer.from([0])])), new RegExp(`frame at byte ${good.length}: unknown kind 7`));
    await expectCorrupt(stream(two, 2 * text.length - 1), new RegExp(`frame at byte ${good.length}: more than the ${2 * text.length - 1} raw bytes expected`));
    await expectCorrupt(stream(Buffer.concat([good, flipped])), new RegExp(`frame at byte ${good.length}: zstd`));
    expect((await stream(two, 2 * text.length)).equals(Buffer.concat([text, text]))).toBe(true);
  });

  test('a zstd payload holding fewer or more bytes than its frame claims, or a bomb, is refused', async () => {
    const text = textOf(50_000);
    const packed = zstdCompress(text);
    expect(packed.length).toBeLessThan(text.length);
    await expectCorrupt(decodeFrame(Buffer.concat([header(1, text.length + 1, packed.length), packed]), pool()), /holds 50000 bytes, not 50001/);
    await expectCorrupt(decodeFrame(Buffer.concat([header(1, text.length - 1, packed.length), packed]), pool()), /zstd/);
    // 1 GiB of zeros in a few KiB: its header says so, the frame claims 1 MiB.
    // Decoding writes at most the claimed length and fails; nothing near 1 GiB is allocated.
    const zeros = Buffer.alloc(64 << 20);
    const bombPart = zstdCompress(zeros, { compressionLevel: 19 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => bombPart));
    expect(bomb.length).toBeLessThan(FRAME_RAW_MAX);
    const before = process.memoryUsage().rss;
    await expectCorrupt(decodeFrame(Buffer.concat([header(1, FRAME_RAW_MAX, bomb.length), bomb]), pool()), /zstd/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
    // A header claiming more than a frame may hold is refused before any decoding.
    await expectCorrupt(decodeFrame(Buffer.concat([header(1, 0xffffffff, bomb.length), bomb]), pool()), /raw length 4294967295 is outside/);
  });
});

test('encodeFrame refuses an empty or oversize input', async () => {
  for (const length of [0, FRAME_RAW_MAX + 1]) {
    const err = await encodeFrame(Buffer.alloc(length), 'auto').catch((e: unknown) => e);
    expect((err as LibrsyncError).code).toBe('RS_PARAM_ERROR');
  }
});

test('FrameEncoder keeps frames in order with several in flight, in frames of a chosen size', async () => {
  // Alternating text and random frames finish out of order in the pool.
  const parts = Array.from({ length: 12 }, (_, i) => (i % 2 ? randomBytesSeeded(4096, i + 1) : textOf(4096)));
  const raw = Buffer.concat(parts);
  const framed = await collect([raw], new FrameEncoder({ mode: 'auto', frameBytes: 4096, inFlight: 4 }));
  expect(headersOf(framed).map((h) => h.kind)).toEqual(parts.map((_, i) => (i % 2 ? 0 : 1)));
  expect((await collect(framed, new FrameDecoder({ inFlight: 4 }))).equals(raw)).toBe(true);
});
