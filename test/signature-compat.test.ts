// Signatures must be byte-identical to `rdiff signature` for every magic,
// block length, strong sum length and input size, including the default
// parameters rdiff picks from the file size (or 2048 for a pipe). The
// reference is `rdiff` on the PATH; the suite names say its librsync.
import { Readable } from 'node:stream';
import { loadSignature, signature, signatureBuffer, signatureFile } from '../lib';
import { randomBytesSeeded, readBytes, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import {
  ALL_MAGICS,
  SigOpts,
  expectSameBytes,
  rdiffSignature,
  rdiffSignatureFromPipe,
  runChunks,
  seededChunks,
  write,
} from './support/rsync';
import { rdiffReference } from './support/librsync-reference';

describeEachBackendWithRdiff(`signature: byte-identical to rdiff signature (${rdiffReference})`, () => {
  const scratch = scratchDir('librsync-sig-compat-');
  afterAll(() => scratch.remove());
  let counter = 0;

  /** Compares signatureBuffer, signatureFile and the signature() stream with rdiff on the same bytes. */
  async function checkAgainstRdiff(data: Buffer, opts: SigOpts): Promise<Buffer> {
    const id = counter++;
    const basis = write(scratch.path(`basis-${id}`), data);
    const expected = rdiffSignature(basis, scratch.path(`rdiff-${id}.sig`), opts);

    expectSameBytes(await signatureBuffer(data, opts), expected, 'signatureBuffer');

    const out = scratch.path(`ours-${id}.sig`);
    const stats = await signatureFile(basis, out, opts);
    expectSameBytes(readBytes(out), expected, 'signatureFile');
    expect(stats.operation).toBe('signature');
    expect(stats.inBytes).toBe(data.length);
    expect(stats.outBytes).toBe(expected.length);

    // The stream with an explicit size hint picks the same parameters.
    const streamed = await runChunks(signature({ ...opts, size: data.length }), seededChunks(data, id + 1, 70_000));
    expectSameBytes(streamed, expected, 'signature() stream with size');
    return expected;
  }

  describe('all four magics x strong sum lengths', () => {
    const data = randomBytesSeeded(100_000, 101);
    const cases: [string, SigOpts][] = [];
    for (const m of ALL_MAGICS) {
      const strongs = m.hash === 'blake2' ? [0, -1, 1, 8, 16, 32] : [0, -1, 1, 8, 16];
      for (const s of strongs) cases.push([`${m.hash}/${m.rollsum} -S ${s}`, { hash: m.hash, rollsum: m.rollsum, strongLength: s }]);
    }
    it.each(cases)('%s', async (_name, opts) => {
      const sig = await checkAgainstRdiff(data, opts);
      const magic = ALL_MAGICS.find((m) => m.hash === opts.hash && m.rollsum === opts.rollsum)!.magic;
      expect(sig.readUInt32BE(0)).toBe(magic);
    });

    it.each(ALL_MAGICS)('$hash/$rollsum with explicit -b 1024 -S 8 round-trips through loadSignature', async (m) => {
      const sig = await checkAgainstRdiff(data, { hash: m.hash, rollsum: m.rollsum, blockLength: 1024, strongLength: 8 });
      const set = await loadSignature(sig);
      try {
        expect(set.magic).toBe(m.magic);
        expect(set.hash).toBe(m.hash);
        expect(set.rollsum).toBe(m.rollsum);
        expect(set.blockLength).toBe(1024);
        expect(set.strongLength).toBe(8);
        expect(set.blockCount).toBe(Math.ceil(data.length / 1024));
      } finally {
        set.close();
      }
    });
  });

  describe('block lengths x file sizes', () => {
    const cases: [string, number, number, SigOpts][] = [];
    const strongs = [0, -1, 8, 16];
    let rotation = 0;
    for (const bl of [1, 7, 256, 1024, 2048, 65536]) {
      const many = bl === 1 ? 3001 : bl <= 1024 ? bl * 300 + Math.floor(bl / 3) : bl * 10 + 17;
      const sizes = [...new Set([0, 1, bl - 1, bl, bl + 1, many])];
      for (const size of sizes) {
        const m = ALL_MAGICS[rotation % 4];
        const strongLength = strongs[rotation % strongs.length];
        rotation++;
        cases.push([`${m.hash}/${m.rollsum}`, bl, size, { hash: m.hash, rollsum: m.rollsum, blockLength: bl, strongLength }]);
      }
    }
    it.each(cases)('%s -b %i, %i bytes', async (_name, bl, size, opts) => {
      const sig = await checkAgainstRdiff(randomBytesSeeded(size, bl * 31 + size), opts);
      expect(sig.readUInt32BE(4)).toBe(bl);
    });

    it('a few MiB of data with -b 2048 (all four magics)', async () => {
      const data = randomBytesSeeded(3 * 1024 * 1024 + 777, 5);
      for (const m of ALL_MAGICS) await checkAgainstRdiff(data, { hash: m.hash, rollsum: m.rollsum, blockLength: 2048 });
    });

    it('highly repetitive data (all zeros, repeated pattern)', async () => {
      await checkAgainstRdiff(Buffer.alloc(300_000), { blockLength: 1024 });
      await checkAgainstRdiff(Buffer.alloc(300_000, 'abcdefg'), { blockLength: 7, strongLength: -1 });
      await checkAgainstRdiff(Buffer.alloc(100_000, 0xff), { hash: 'md4', rollsum: 'rollsum', blockLength: 100 });
    });
  });

  describe('default block length from the file size (no -b)', () => {
    const sizes = [0, 1, 65535, 65536, 65537, 1 << 20, 3 * (1 << 20) + 123];
    it.each(sizes)('%i bytes: signatureFile and signatureBuffer match rdiff with no -b', async (size) => {
      const data = randomBytesSeeded(size, size + 7);
      await checkAgainstRdiff(data, {});
    });

    it.each([65537, 1 << 20, 3 * (1 << 20) + 123])('%i bytes with -S -1 (minimum strong length depends on the size)', async (size) => {
      await checkAgainstRdiff(randomBytesSeeded(size, size + 9), { strongLength: -1 });
    });

    it('md4/rollsum with defaults on 1 MiB + 1', async () => {
      await checkAgainstRdiff(randomBytesSeeded((1 << 20) + 1, 77), { hash: 'md4', rollsum: 'rollsum' });
    });
  });

  describe('unknown size (a pipe): 2048-byte blocks like `rdiff signature < file`', () => {
    const sizes = [0, 1000, 100_000, (1 << 20) + 5];
    it.each(sizes)('%i bytes through the signature() stream without size', async (size) => {
      const data = randomBytesSeeded(size, size + 3);
      const expected = rdiffSignatureFromPipe(data);
      if (size > 0) expect(expected.readUInt32BE(4)).toBe(2048);
      const ours = await runChunks(signature(), seededChunks(data, 17, 100_000));
      expectSameBytes(ours, expected, 'signature() stream, unknown size');
    });

    it('-S -1 on a pipe uses the size-independent minimum, like rdiff', async () => {
      const data = randomBytesSeeded(200_000, 8);
      const expected = rdiffSignatureFromPipe(data, { strongLength: -1 });
      expectSameBytes(await runChunks(signature({ strongLength: -1 }), [data]), expected, 'signature() -S -1 unknown size');
    });

    it('signatureBuffer from a Readable (size unknown) matches rdiff reading a pipe', async () => {
      const data = randomBytesSeeded(300_000, 12);
      const expected = rdiffSignatureFromPipe(data, { hash: 'md4' });
      const ours = await signatureBuffer(Readable.from(seededChunks(data, 4, 50_000)), { hash: 'md4' });
      expectSameBytes(ours, expected, 'signatureBuffer(Readable)');
    });

    it('the default differs from the size-based one (so the size hint really matters)', async () => {
      const data = randomBytesSeeded(1 << 20, 13);
      const piped = rdiffSignatureFromPipe(data);
      const sized = await signatureBuffer(data);
      expect(piped.readUInt32BE(4)).toBe(2048);
      expect(sized.readUInt32BE(4)).not.toBe(2048);
      expectSameBytes(await runChunks(signature(), [data]), piped, 'signature() unknown size');
    });
  });
});
