// Deltas must be byte-identical to `rdiff delta` for the same signature and
// new file, and patches must interoperate both ways: rdiff applies our
// deltas and we apply rdiff's, with every kind of basis. The reference is
// `rdiff` on the PATH; the suite names say which librsync it and the addon
// use (deltas with literals over 32 KiB differ from librsync 2.3.3 on).
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  SignatureSet,
  delta,
  deltaBuffer,
  deltaFile,
  loadSignature,
  patch,
  patchBuffer,
  patchFile,
  signatureBuffer,
} from '../lib';
import { randomBytesSeeded, readBytes, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import {
  SigOpts,
  expectSameBytes,
  rdiffDelta,
  rdiffPatch,
  rdiffSignature,
  runChunks,
  seededChunks,
  write,
} from './support/rsync';
import { rdiffReference } from './support/librsync-reference';

const randomBasis = randomBytesSeeded(300_000, 11);
// Zero runs and duplicated blocks in the basis: many identical signature
// entries, so the match chosen among equals must be the same as rdiff's.
const chunkA = randomBytesSeeded(40_000, 21);
const structuredBasis = Buffer.concat([
  Buffer.alloc(20_000),
  chunkA,
  randomBytesSeeded(30_000, 22),
  chunkA,
  Buffer.alloc(10_000),
  randomBytesSeeded(25_000, 23),
  Buffer.alloc(5_000, 0x61),
]);

function splice(b: Buffer, at: number, remove: number, insert: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([b.subarray(0, at), insert, b.subarray(at + remove)]);
}

function overwrite(b: Buffer, at: number, bytes: Buffer): Buffer {
  const c = Buffer.from(b);
  bytes.copy(c, at);
  return c;
}

interface EditCase {
  name: string;
  basis: 'random' | 'structured';
  make: (b: Buffer) => Buffer;
}

const CASES: EditCase[] = [
  { name: 'identical', basis: 'random', make: (b) => Buffer.from(b) },
  {
    name: 'in-place changes',
    basis: 'random',
    make: (b) => overwrite(overwrite(overwrite(b, 1000, randomBytesSeeded(100, 1)), 150_000, randomBytesSeeded(10, 2)), 299_990, Buffer.from('END!')),
  },
  { name: 'insertion near the start', basis: 'random', make: (b) => splice(b, 10, 0, randomBytesSeeded(37, 3)) },
  { name: 'deletion in the middle', basis: 'random', make: (b) => splice(b, 100_000, 5_000) },
  { name: 'several insertions and deletions', basis: 'random', make: (b) => splice(splice(splice(b, 250_000, 1), 120_000, 0, randomBytesSeeded(5000, 4)), 3, 700) },
  { name: 'truncation', basis: 'random', make: (b) => b.subarray(0, 123_457) },
  { name: 'growth', basis: 'random', make: (b) => Buffer.concat([b, randomBytesSeeded(50_000, 5)]) },
  { name: 'duplicated blocks', basis: 'random', make: (b) => Buffer.concat([b.subarray(0, 8192), b.subarray(0, 8192), b.subarray(4096, 12288), b]) },
  { name: 'zero blocks in the new file', basis: 'random', make: (b) => overwrite(b, 40_000, Buffer.alloc(50_000)) },
  { name: 'reordered halves', basis: 'random', make: (b) => Buffer.concat([b.subarray(150_000), b.subarray(0, 150_000)]) },
  { name: 'unrelated file', basis: 'random', make: () => randomBytesSeeded(200_000, 99) },
  { name: 'empty new file', basis: 'random', make: () => Buffer.alloc(0) },
  { name: 'tiny new file (3 bytes)', basis: 'random', make: (b) => b.subarray(500, 503) },
  { name: 'structured: identical', basis: 'structured', make: (b) => Buffer.from(b) },
  { name: 'structured: one byte inserted at the start', basis: 'structured', make: (b) => splice(b, 0, 0, Buffer.from([7])) },
  { name: 'structured: zero runs grown and moved', basis: 'structured', make: (b) => Buffer.concat([Buffer.alloc(33_333), b.subarray(20_000, 100_000), Buffer.alloc(70_000), b.subarray(100_000)]) },
  { name: 'structured: duplicated chunk repeated', basis: 'structured', make: (b) => Buffer.concat([b.subarray(20_000, 60_000), b, b.subarray(20_000, 60_000)]) },
];

const CONFIGS: [string, SigOpts][] = [
  ['rdiff defaults', {}],
  ['md4/rollsum -b 512', { hash: 'md4', rollsum: 'rollsum', blockLength: 512 }],
  ['blake2/rollsum -b 1024 -S 8', { hash: 'blake2', rollsum: 'rollsum', blockLength: 1024, strongLength: 8 }],
  ['md4/rabinkarp -b 64 -S -1', { hash: 'md4', rollsum: 'rabinkarp', blockLength: 64, strongLength: -1 }],
];

describeEachBackendWithRdiff(`delta: byte-identical to rdiff delta, patches interoperate (${rdiffReference})`, () => {
  const scratch = scratchDir('librsync-delta-compat-');
  const basisPath = { random: scratch.path('random.basis'), structured: scratch.path('structured.basis') };
  const basisData = { random: randomBasis, structured: structuredBasis };
  beforeAll(() => {
    write(basisPath.random, randomBasis);
    write(basisPath.structured, structuredBasis);
  });
  afterAll(() => scratch.remove());
  let counter = 0;

  describe.each(CONFIGS)('%s', (configName, opts) => {
    const sigPath = { random: '', structured: '' };
    const sets: Partial<Record<'random' | 'structured', SignatureSet>> = {};
    beforeAll(async () => {
      for (const k of ['random', 'structured'] as const) {
        sigPath[k] = scratch.path(`${k}-${configName.replace(/\W+/g, '_')}.sig`);
        const sig = rdiffSignature(basisPath[k], sigPath[k], opts);
        // Our signature of the same basis is the same file (checked in depth elsewhere).
        expectSameBytes(await signatureBuffer(basisData[k], opts), sig, 'signature');
        sets[k] = await loadSignature(sigPath[k]);
      }
    });
    afterAll(() => {
      sets.random?.close();
      sets.structured?.close();
    });

    it.each(CASES)('$name', async ({ basis, make }) => {
      const id = counter++;
      const newData = make(basisData[basis]);
      const newPath = write(scratch.path(`new-${id}`), newData);
      const expected = rdiffDelta(sigPath[basis], newPath, scratch.path(`rdiff-${id}.delta`));

      // Same bytes via every entry point: signature path, loaded set, deltaFile, delta() stream.
      expectSameBytes(await deltaBuffer(sigPath[basis], newData), expected, 'deltaBuffer(sig path)');
      expectSameBytes(await deltaBuffer(sets[basis]!, newPath), expected, 'deltaBuffer(SignatureSet, new path)');
      const ourDeltaPath = scratch.path(`ours-${id}.delta`);
      const stats = await deltaFile(sigPath[basis], newPath, ourDeltaPath);
      expectSameBytes(readBytes(ourDeltaPath), expected, 'deltaFile');
      expect(stats.operation).toBe('delta');
      expect(stats.inBytes).toBe(newData.length);
      expect(stats.outBytes).toBe(expected.length);
      expect(stats.literalBytes + stats.copyBytes).toBe(newData.length);
      const stream = delta(sets[basis]!);
      expectSameBytes(await runChunks(stream, seededChunks(newData, id + 1, 40_000)), expected, 'delta() stream');
      expect(stream.stats!.outBytes).toBe(expected.length);

      // rdiff rebuilds the new file from our delta, we rebuild it from rdiff's.
      expectSameBytes(rdiffPatch(basisPath[basis], ourDeltaPath, scratch.path(`rdiff-patched-${id}`)), newData, 'rdiff patch of our delta');
      expectSameBytes(await patchBuffer(basisData[basis], expected), newData, 'patchBuffer of rdiff delta');
      const patched = scratch.path(`patched-${id}`);
      const pstats = await patchFile(basisPath[basis], scratch.path(`rdiff-${id}.delta`), patched);
      expectSameBytes(readBytes(patched), newData, 'patchFile of rdiff delta');
      expect(pstats.operation).toBe('patch');
      expect(pstats.outBytes).toBe(newData.length);
      expect(pstats.inBytes).toBe(expected.length);
    });
  });

  describe('identical files give a delta of copies only', () => {
    it('default parameters', async () => {
      const d = await deltaBuffer(await signatureBuffer(randomBasis), randomBasis);
      const set = await loadSignature(await signatureBuffer(randomBasis));
      const s = delta(set);
      await runChunks(s, [randomBasis]);
      set.close();
      expect(s.stats!.literalBytes).toBe(0);
      expect(s.stats!.copyBytes).toBe(randomBasis.length);
      expect(d.length).toBeLessThan(32);
    });
  });

  describe('empty basis (slack delta): compared by round trip, not bytes', () => {
    const empty = Buffer.alloc(0);
    it.each([0, 1, 5000, 300_000])('new file of %i bytes', async (size) => {
      const id = counter++;
      const newData = randomBytesSeeded(size, size + 1);
      const emptyPath = write(scratch.path(`empty-${id}`), empty);
      const newPath = write(scratch.path(`new-${id}`), newData);
      const sigPath = scratch.path(`empty-${id}.sig`);
      rdiffSignature(emptyPath, sigPath);
      const rdiffDeltaPath = scratch.path(`rdiff-${id}.delta`);
      const theirs = rdiffDelta(sigPath, newPath, rdiffDeltaPath);
      const ours = await deltaBuffer(await signatureBuffer(empty), newData);
      const ourPath = write(scratch.path(`ours-${id}.delta`), ours);
      expectSameBytes(await patchBuffer(empty, ours), newData, 'our patch of our slack delta');
      expectSameBytes(await patchBuffer(empty, theirs), newData, 'our patch of rdiff slack delta');
      expectSameBytes(rdiffPatch(emptyPath, ourPath, scratch.path(`out-${id}`)), newData, 'rdiff patch of our slack delta');
      expectSameBytes(await patchBuffer(emptyPath, ours), newData, 'patchBuffer(empty path)');
    });
  });

  describe('patch with every kind of basis', () => {
    const basis = randomBasis;
    const newData = Buffer.concat([randomBytesSeeded(3000, 61), basis.subarray(20_000, 200_000), randomBytesSeeded(100, 62), basis.subarray(0, 20_000)]);
    let ours: Buffer;
    let theirs: Buffer;
    let oursPath: string;
    let theirsPath: string;
    beforeAll(async () => {
      const newPath = write(scratch.path('pb-new'), newData);
      const sigPath = scratch.path('pb.sig');
      rdiffSignature(basisPath.random, sigPath, { blockLength: 700 });
      theirsPath = scratch.path('pb-rdiff.delta');
      theirs = rdiffDelta(sigPath, newPath, theirsPath);
      ours = await deltaBuffer(sigPath, newData);
      oursPath = write(scratch.path('pb-ours.delta'), ours);
      expectSameBytes(ours, theirs, 'delta');
    });

    const variants: [string, () => Promise<Buffer>][] = [];
    for (const [which, get] of [['our', () => ours], ['rdiff', () => theirs]] as const) {
      variants.push([`${which} delta, basis path`, () => runChunks(patch(basisPath.random), seededChunks(get(), 1, 500))]);
      variants.push([`${which} delta, basis Buffer`, () => runChunks(patch(basis), [get()])]);
      variants.push([
        `${which} delta, basis fd`,
        async () => {
          const fd = openSync(basisPath.random, 'r');
          try {
            return await runChunks(patch(fd), [get()]);
          } finally {
            closeSync(fd);
          }
        },
      ]);
      variants.push([
        `${which} delta, basis FileHandle`,
        async () => {
          const fh = await open(basisPath.random, 'r');
          try {
            return await runChunks(patch(fh), [get()]);
          } finally {
            await fh.close();
          }
        },
      ]);
      variants.push([`${which} delta, patchBuffer(Buffer basis)`, () => patchBuffer(basis, get())]);
      variants.push([`${which} delta, patchBuffer(path basis)`, () => patchBuffer(basisPath.random, get())]);
      variants.push([
        `${which} delta, patchFile`,
        async () => {
          const out = scratch.path(`pb-out-${which}`);
          await patchFile(basisPath.random, which === 'our' ? oursPath : theirsPath, out);
          return readBytes(out);
        },
      ]);
    }
    it.each(variants)('%s', async (_name, run) => {
      expectSameBytes(await run(), newData, 'patched output');
    });

    it('the basis fd may be closed by the caller right after patch() returns (the job keeps its own)', async () => {
      const fd = openSync(basisPath.random, 'r');
      const stream = patch(fd);
      closeSync(fd);
      expectSameBytes(await runChunks(stream, [ours]), newData, 'patched output');
    });

    it('patchFile may write over its own basis', async () => {
      const inPlace = write(scratch.path('pb-inplace'), basis);
      await patchFile(inPlace, oursPath, inPlace);
      expectSameBytes(readBytes(inPlace), newData, 'patched in place');
    });

    it('rdiff applies our delta', () => {
      expectSameBytes(rdiffPatch(basisPath.random, oursPath, scratch.path('pb-rdiff-out')), newData, 'rdiff patch');
    });
  });
});
