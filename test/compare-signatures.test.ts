// compareSignatures: which blocks of a new signature occur in an old one.
// Data is built from distinct random blocks so the expected runs follow
// from the construction; signatures come from rdiff and from us.
import { Readable } from 'node:stream';
import { compareSignatures, signatureBuffer } from '../lib';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeWithRdiff } from './support/requirements';
import { SigOpts, expectLibrsyncError, expectSameBytes, rdiffSignature, seededChunks, sigHeader, write } from './support/rsync';

const BL = 1024;

/** `n` distinct random blocks of BL bytes. */
function makeBlocks(n: number, seed: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => randomBytesSeeded(BL, seed * 100_003 + i + 1));
}

describeWithRdiff('compareSignatures', () => {
  const scratch = scratchDir('librsync-compare-');
  afterAll(() => scratch.remove());
  let counter = 0;

  /** rdiff's signature of `data` (and a check that ours is the same). */
  async function sigOf(data: Buffer, opts: SigOpts = { blockLength: BL }): Promise<Buffer> {
    const id = counter++;
    const sig = rdiffSignature(write(scratch.path(`d-${id}`), data), scratch.path(`d-${id}.sig`), opts);
    expectSameBytes(await signatureBuffer(data, opts), sig, 'signature');
    return sig;
  }

  const blocks = makeBlocks(64, 1);
  const old = Buffer.concat(blocks);

  it('identical signatures: every block matched, in one run', async () => {
    const sig = await sigOf(old);
    const r = await compareSignatures(sig, sig);
    expect(r.blockLength).toBe(BL);
    expect(r.magic).toBe(0x72730147);
    expect(r.hash).toBe('blake2');
    expect(r.rollsum).toBe('rabinkarp');
    expect(r.strongLength).toBe(32);
    expect(r.oldBlocks).toBe(64);
    expect(r.newBlocks).toBe(64);
    expect(r.matchedBlocks).toBe(64);
    expect(r.missingBlocks).toBe(0);
    expect(r.matches).toEqual([{ newBlock: 0, oldBlock: 0, count: 64 }]);
    expect(r.missing).toEqual([]);
    expect(Array.from(r.oldBlockOf)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('two new blocks inserted after block 19', async () => {
    const inserted = makeBlocks(2, 2);
    const newer = Buffer.concat([...blocks.slice(0, 20), ...inserted, ...blocks.slice(20)]);
    const r = await compareSignatures(await sigOf(old), await sigOf(newer));
    expect(r.newBlocks).toBe(66);
    expect(r.matchedBlocks).toBe(64);
    expect(r.missingBlocks).toBe(2);
    expect(r.matches).toEqual([
      { newBlock: 0, oldBlock: 0, count: 20 },
      { newBlock: 22, oldBlock: 20, count: 44 },
    ]);
    expect(r.missing).toEqual([{ newBlock: 20, count: 2 }]);
    const expected = [...Array.from({ length: 20 }, (_, i) => i), -1, -1, ...Array.from({ length: 44 }, (_, i) => 20 + i)];
    expect(Array.from(r.oldBlockOf)).toEqual(expected);
  });

  it('blocks deleted, reordered and replaced', async () => {
    const fresh = makeBlocks(3, 3);
    // new = old[40..63], fresh[0], old[0..9], fresh[1], fresh[2], old[10]
    const newer = Buffer.concat([...blocks.slice(40), fresh[0], ...blocks.slice(0, 10), fresh[1], fresh[2], blocks[10]]);
    const r = await compareSignatures(await sigOf(old), await sigOf(newer));
    expect(r.newBlocks).toBe(24 + 1 + 10 + 2 + 1);
    expect(r.matches).toEqual([
      { newBlock: 0, oldBlock: 40, count: 24 },
      { newBlock: 25, oldBlock: 0, count: 10 },
      { newBlock: 37, oldBlock: 10, count: 1 },
    ]);
    expect(r.missing).toEqual([
      { newBlock: 24, count: 1 },
      { newBlock: 35, count: 2 },
    ]);
    expect(r.matchedBlocks).toBe(35);
    expect(r.missingBlocks).toBe(3);
  });

  it('a block that occurs several times in the old signature maps to its first occurrence', async () => {
    // old: b0 b1 b2 A b4 b5 A b7 ; new: A b1 A
    const A = blocks[50];
    const oldDup = Buffer.concat([blocks[0], blocks[1], blocks[2], A, blocks[4], blocks[5], A, blocks[7]]);
    const newer = Buffer.concat([A, blocks[1], A]);
    const r = await compareSignatures(await sigOf(oldDup), await sigOf(newer));
    expect(Array.from(r.oldBlockOf)).toEqual([3, 1, 3]);
    expect(r.matches).toEqual([
      { newBlock: 0, oldBlock: 3, count: 1 },
      { newBlock: 1, oldBlock: 1, count: 1 },
      { newBlock: 2, oldBlock: 3, count: 1 },
    ]);
    expect(r.missing).toEqual([]);
  });

  it('a trailing partial block matches only the same partial block', async () => {
    const tail = randomBytesSeeded(100, 9);
    const withTail = Buffer.concat([old, tail]);
    const sigTail = await sigOf(withTail);
    const same = await compareSignatures(sigTail, sigTail);
    expect(same.newBlocks).toBe(65);
    expect(same.matches).toEqual([{ newBlock: 0, oldBlock: 0, count: 65 }]);

    const otherTail = Buffer.concat([old, tail.subarray(0, 99)]);
    const r = await compareSignatures(sigTail, await sigOf(otherTail));
    expect(r.matches).toEqual([{ newBlock: 0, oldBlock: 0, count: 64 }]);
    expect(r.missing).toEqual([{ newBlock: 64, count: 1 }]);
  });

  it('different strong lengths compare the shorter prefix', async () => {
    const newer = Buffer.concat([...blocks.slice(0, 10), ...makeBlocks(1, 4), ...blocks.slice(10)]);
    const r = await compareSignatures(await sigOf(old, { blockLength: BL }), await sigOf(newer, { blockLength: BL, strongLength: 8 }));
    expect(r.strongLength).toBe(8);
    expect(r.matches).toEqual([
      { newBlock: 0, oldBlock: 0, count: 10 },
      { newBlock: 11, oldBlock: 10, count: 54 },
    ]);
    expect(r.missing).toEqual([{ newBlock: 10, count: 1 }]);
  });

  it.each([
    ['md4/rollsum', { hash: 'md4', rollsum: 'rollsum', blockLength: BL }],
    ['blake2/rollsum', { hash: 'blake2', rollsum: 'rollsum', blockLength: BL }],
    ['md4/rabinkarp -S 4', { hash: 'md4', rollsum: 'rabinkarp', blockLength: BL, strongLength: 4 }],
  ] as [string, SigOpts][])('works for %s', async (_name, opts) => {
    const newer = Buffer.concat([...blocks.slice(32), ...blocks.slice(0, 32)]);
    const r = await compareSignatures(await sigOf(old, opts), await sigOf(newer, opts));
    expect(r.hash).toBe(opts.hash);
    expect(r.rollsum).toBe(opts.rollsum);
    expect(r.matches).toEqual([
      { newBlock: 0, oldBlock: 32, count: 32 },
      { newBlock: 32, oldBlock: 0, count: 32 },
    ]);
  });

  it('accepts paths, Buffers and chunked streams', async () => {
    const newer = Buffer.concat([...blocks.slice(0, 5), ...makeBlocks(1, 5), ...blocks.slice(6)]);
    const oldSig = await sigOf(old);
    const newSig = await sigOf(newer);
    const oldPath = write(scratch.path('cmp-old.sig'), oldSig);
    const newPath = write(scratch.path('cmp-new.sig'), newSig);
    const expected = await compareSignatures(oldSig, newSig);
    expect(expected.missing).toEqual([{ newBlock: 5, count: 1 }]);
    const viaPaths = await compareSignatures(oldPath, newPath);
    const viaStreams = await compareSignatures(
      Readable.from(seededChunks(oldSig, 1, 7), { objectMode: true }),
      Readable.from(seededChunks(newSig, 2, 50), { objectMode: true }),
    );
    for (const r of [viaPaths, viaStreams]) {
      expect(r.matches).toEqual(expected.matches);
      expect(r.missing).toEqual(expected.missing);
      expect(Array.from(r.oldBlockOf)).toEqual(Array.from(expected.oldBlockOf));
    }
  });

  it('empty signatures (empty files)', async () => {
    const empty = await sigOf(Buffer.alloc(0));
    const r = await compareSignatures(empty, empty);
    expect(r.oldBlocks).toBe(0);
    expect(r.newBlocks).toBe(0);
    expect(r.matches).toEqual([]);
    expect(r.missing).toEqual([]);
    const r2 = await compareSignatures(empty, await sigOf(old));
    expect(r2.missing).toEqual([{ newBlock: 0, count: 64 }]);
    const r3 = await compareSignatures(await sigOf(old), empty);
    expect(r3.newBlocks).toBe(0);
    expect(r3.oldBlocks).toBe(64);
  });

  it('a 100k-block signature against itself with one block changed', async () => {
    const n = 100_000;
    const data = randomBytesSeeded(n * 16, 6);
    const changed = Buffer.from(data);
    changed[50_000 * 16 + 3] ^= 0xff;
    const opts = { blockLength: 16, strongLength: 8 };
    const r = await compareSignatures(await sigOf(data, opts), await sigOf(changed, opts));
    expect(r.newBlocks).toBe(n);
    expect(r.missing).toEqual([{ newBlock: 50_000, count: 1 }]);
    expect(r.matches).toEqual([
      { newBlock: 0, oldBlock: 0, count: 50_000 },
      { newBlock: 50_001, oldBlock: 50_001, count: n - 50_001 },
    ]);
  });

  describe('blocks whose weak sums collide are told apart by their strong sums', () => {
    // Hand-built signatures (the format is fixed): old blocks 0 and 1 share
    // the weak sum 0x01020304 but have different strong sums.
    const strongA = Buffer.alloc(8, 0xaa);
    const strongB = Buffer.alloc(8, 0xbb);
    const strongC = Buffer.alloc(8, 0xcc);
    const entry = (weak: number, strong: Buffer): Buffer => {
      const w = Buffer.alloc(4);
      w.writeUInt32BE(weak);
      return Buffer.concat([w, strong]);
    };
    const header = sigHeader(0x72730147, 64, 8);
    const oldSig = Buffer.concat([header, entry(0x01020304, strongA), entry(0x01020304, strongB), entry(7, strongC)]);
    const newSig = Buffer.concat([header, entry(0x01020304, strongB), entry(0x01020304, strongC), entry(0x01020304, strongA)]);
    const expectResult = (r: Awaited<ReturnType<typeof compareSignatures>>): void => {
      expect(Array.from(r.oldBlockOf)).toEqual([1, -1, 0]);
      expect(r.matchedBlocks).toBe(2);
      expect(r.missing).toEqual([{ newBlock: 1, count: 1 }]);
    };

    it('new signature given as one Buffer', async () => {
      expectResult(await compareSignatures(oldSig, newSig));
    });

    it('new signature streamed with the header in its own chunk', async () => {
      expectResult(await compareSignatures(oldSig, Readable.from([newSig.subarray(0, 12), newSig.subarray(12)], { objectMode: true })));
    });
  });

  describe('incomparable signatures -> RS_SIGNATURE_MISMATCH', () => {
    it.each([
      ['block length 1024 vs 512', { blockLength: BL }, { blockLength: 512 }],
      ['blake2 vs md4', { blockLength: BL }, { blockLength: BL, hash: 'md4' }],
      ['rabinkarp vs rollsum', { blockLength: BL }, { blockLength: BL, rollsum: 'rollsum' }],
      ['md4/rollsum vs blake2/rabinkarp, same block length', { blockLength: BL, hash: 'md4', rollsum: 'rollsum' }, { blockLength: BL }],
    ] as [string, SigOpts, SigOpts][])('%s', async (_name, a, b) => {
      const sa = await sigOf(old, a);
      const sb = await sigOf(old, b);
      const err = await expectLibrsyncError(compareSignatures(sa, sb), 'RS_SIGNATURE_MISMATCH');
      expect(err.result).toBe(108);
      await expectLibrsyncError(compareSignatures(sb, sa), 'RS_SIGNATURE_MISMATCH');
    });

    it('also when one side is an empty (header-only) signature', async () => {
      const sa = await sigOf(Buffer.alloc(0), { blockLength: BL });
      const sb = await sigOf(Buffer.alloc(0), { blockLength: 2048 });
      await expectLibrsyncError(compareSignatures(sa, sb), 'RS_SIGNATURE_MISMATCH');
    });
  });
});
