// Bad input must give the documented typed error (with rdiff's exit status
// as `.result` where rdiff detects the same problem), never a crash or a
// hang, and failed file operations must leave no output or temp file.
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import fsPromises = require('node:fs/promises'); // the module object itself, so that a test can wrap rename()
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  LibrsyncError,
  compareSignatures,
  delta,
  deltaBuffer,
  deltaFile,
  loadSignature,
  patch,
  patchBuffer,
  patchFile,
  signature,
  signatureBuffer,
  signatureFile,
} from '../lib';
import { randomBytesSeeded, readBytes, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import {
  DELTA_MAGIC_BYTES,
  buildDelta,
  copyCmd,
  expectLibrsyncError,
  expectSameBytes,
  expectSyncLibrsyncError,
  literalCmd,
  prng,
  rdiffDelta,
  rdiffSignature,
  rdiffStatus,
  runChunks,
  sigHeader,
  withTimeout,
  write,
} from './support/rsync';

const DELTA_ERROR_CODES = ['RS_INPUT_ENDED', 'RS_BAD_MAGIC', 'RS_CORRUPT', 'RS_COPY_OUT_OF_RANGE', 'RS_OUTPUT_LIMIT'];
const SIGNATURE_ERROR_CODES = ['RS_INPUT_ENDED', 'RS_BAD_MAGIC', 'RS_CORRUPT', 'RS_BLOCK_TOO_LONG'];

// A delta (against a 5000-byte basis) using every opcode width: 0x01-0x40,
// 0x41-0x44 and all sixteen COPY forms.
const pieces: Buffer[] = [];
const kitchenSink = (() => {
  const cmds: Buffer[] = [literalCmd(Buffer.from('hello')), literalCmd(randomBytesSeeded(64, 1))];
  cmds.push(literalCmd(randomBytesSeeded(100, 2), 1), literalCmd(randomBytesSeeded(300, 3), 2));
  cmds.push(literalCmd(randomBytesSeeded(20, 4), 4), literalCmd(randomBytesSeeded(10, 5), 8));
  let k = 0;
  for (const ow of [1, 2, 4, 8]) {
    for (const lw of [1, 2, 4, 8]) {
      const offset = (k * 293) % 4700;
      const length = 1 + ((k * 37) % 250);
      cmds.push(copyCmd(offset, length, ow, lw));
      k++;
    }
  }
  cmds.push(copyCmd(4000, 1000)); // up to the very end of the basis
  pieces.push(...cmds);
  return buildDelta(...cmds);
})();

describeEachBackendWithRdiff('bad input', () => {
  const scratch = scratchDir('librsync-bad-input-');
  afterAll(() => scratch.remove());
  let counter = 0;
  const fresh = (name: string): string => scratch.path(`${name}-${counter++}`);

  const basis = randomBytesSeeded(5000, 41);
  const basisPath = write(scratch.path('basis'), basis);
  const newData = Buffer.concat([basis.subarray(0, 2000), randomBytesSeeded(300, 42), basis.subarray(2500)]);
  const newPath = write(scratch.path('new'), newData);

  /** Sorted directory listing: what a failed operation must not add to. */
  function leftovers(dir: string): string[] {
    return readdirSync(dir).sort();
  }

  /**
   * Outside the dedicated atomic-output tests below (which check right
   * when the promise settles), allow a moment for the temp file's removal
   * so that those tests alone report a late cleanup; a temp file that is
   * never removed still fails here.
   */
  async function settledListing(dir: string, expected: string[]): Promise<void> {
    for (let i = 0; i < 50 && leftovers(dir).join('/') !== expected.join('/'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(leftovers(dir)).toEqual(expected);
  }

  // ---------------------------------------------------------------------
  describe('truncated signatures', () => {
    for (const strongLength of [8, 32]) {
      describe(`strong length ${strongLength}`, () => {
        const entry = 4 + strongLength;
        let sig: Buffer;
        beforeAll(() => {
          sig = rdiffSignature(basisPath, fresh('full.sig'), { blockLength: 256, strongLength });
          expect(sig.length).toBe(12 + Math.ceil(basis.length / 256) * entry);
        });
        const blocks = Math.ceil(basis.length / 256);
        const full = 12 + blocks * entry;
        // Lengths to keep: inside the header, 0-entry signatures with stray
        // bytes, partial first / middle entries, and the last entry cut short.
        const lengths = [0, 1, 3, 4, 8, 11, 12, 13, 14, 15, 16, 12 + entry - 1, 12 + entry, 12 + entry + 3, 12 + entry + 4,
          12 + 5 * entry + 7, full - entry + 1, full - entry + 3, full - entry + 4, full - 4, full - 3, full - 1, full];
        it.each(lengths)('keeping %i bytes', async (length) => {
          const cutSig = sig.subarray(0, length);
          const cutPath = write(fresh('cut.sig'), cutSig);
          const status = rdiffStatus('-f', 'delta', cutPath, newPath, fresh('rdiff.delta'));
          const stray = length >= 12 ? (length - 12) % entry : 0;
          if (length >= 12 && stray < 4) {
            // librsync ignores 1-3 stray bytes after the last complete entry.
            expect(status).toBe(0);
            const set = await loadSignature(cutSig);
            expect(set.blockCount).toBe(Math.floor((length - 12) / entry));
            set.close();
            const ours = await deltaBuffer(cutSig, newData);
            if (Math.floor((length - 12) / entry) > 0) {
              expectSameBytes(ours, rdiffDelta(cutPath, newPath, fresh('rdiff.delta')), 'delta from truncated signature');
            }
            expectSameBytes(await patchBuffer(basis, ours), newData, 'round trip');
            const cmp = await compareSignatures(cutSig, sig);
            expect(cmp.oldBlocks).toBe(Math.floor((length - 12) / entry));
          } else {
            expect(status).toBe(103);
            const err = await expectLibrsyncError(loadSignature(cutSig), 'RS_INPUT_ENDED');
            expect(err.result).toBe(status);
            await expectLibrsyncError(deltaBuffer(cutSig, newData), 'RS_INPUT_ENDED');
            await expectLibrsyncError(compareSignatures(cutSig, sig), 'RS_INPUT_ENDED');
            await expectLibrsyncError(compareSignatures(sig, cutSig), 'RS_INPUT_ENDED');
          }
        });
      });
    }
  });

  // ---------------------------------------------------------------------
  describe('corrupt signature headers', () => {
    const entries = randomBytesSeeded(3 * 36, 43);
    const B2 = 0x72730147;
    const MD4 = 0x72730146;
    // [name, header, expected code, compare .result with rdiff's exit status]
    const table: [string, Buffer, string, boolean][] = [
      ['unknown magic 0x72730148', sigHeader(0x72730148, 256, 32), 'RS_BAD_MAGIC', true],
      ['delta magic', sigHeader(0x72730236, 256, 32), 'RS_BAD_MAGIC', true],
      // librsync checks the block and strong lengths before the magic, so
      // garbage headers are RS_CORRUPT (rdiff: 106), not RS_BAD_MAGIC.
      ['all zeros', Buffer.alloc(12), 'RS_CORRUPT', true],
      ['text', Buffer.from('hello world!'), 'RS_CORRUPT', true],
      ['block length 0', sigHeader(B2, 0, 32), 'RS_CORRUPT', true],
      ['block length 0 (md4)', sigHeader(MD4, 0, 16), 'RS_CORRUPT', true],
      ['block length 0x7fffffff', sigHeader(B2, 0x7fffffff, 32), 'RS_BLOCK_TOO_LONG', false],
      ['block length 2^24 + 1', sigHeader(B2, (1 << 24) + 1, 32), 'RS_BLOCK_TOO_LONG', false],
      // librsync reads block lengths as signed: these are negative, hence corrupt.
      ['block length 0x80000000', sigHeader(B2, 0x80000000, 32), 'RS_CORRUPT', true],
      ['block length 0xffffffff', sigHeader(B2, 0xffffffff, 32), 'RS_CORRUPT', true],
      ['strong length 33 (blake2)', sigHeader(B2, 256, 33), 'RS_CORRUPT', true],
      ['strong length 0xffffffff', sigHeader(B2, 256, 0xffffffff), 'RS_CORRUPT', true],
      ['strong length 33 (md4)', sigHeader(MD4, 256, 33), 'RS_CORRUPT', true],
      // Plausible (<= 32) but above MD4's 16: librsync says RS_PARAM_ERROR (rdiff exits 108).
      ['strong length 17 (md4)', sigHeader(MD4, 256, 17), 'RS_PARAM_ERROR', true],
      ['strong length 32 (md4)', sigHeader(MD4, 256, 32), 'RS_PARAM_ERROR', true],
      // Each check in librsync's order: lengths, then magic, then the length for the magic.
      ['bad magic, valid lengths', sigHeader(0x78780147, 256, 32), 'RS_BAD_MAGIC', true],
      ['bad magic, block length 0', sigHeader(0x78780147, 0, 32), 'RS_CORRUPT', true],
      ['bad magic, huge block length', sigHeader(0x78780147, 0x7f000000, 16), 'RS_BAD_MAGIC', true],
      ['md4 strong 17, huge block length', sigHeader(MD4, 0x7f000000, 17), 'RS_PARAM_ERROR', true],
    ];
    it.each(table)('%s', async (_name, header, code, sameAsRdiff) => {
      const bad = Buffer.concat([header, entries]);
      const badPath = write(fresh('bad.sig'), bad);
      const err = await expectLibrsyncError(loadSignature(bad), code);
      await expectLibrsyncError(loadSignature(badPath), code);
      await expectLibrsyncError(loadSignature(Readable.from([bad.subarray(0, 5), bad.subarray(5)], { objectMode: true })), code);
      await expectLibrsyncError(deltaBuffer(bad, newData), code);
      if (sameAsRdiff) expect(err.result).toBe(rdiffStatus('-f', 'delta', badPath, newPath, fresh('rdiff.delta')));
      // compareSignatures parses signatures itself: it must classify them the same way.
      const good = await signatureBuffer(basis, { blockLength: 256 });
      await expectLibrsyncError(compareSignatures(bad, good), code);
      await expectLibrsyncError(compareSignatures(good, bad), code);
      // deltaFile leaves nothing behind.
      const dir = scratchDir('librsync-bad-sig-out-');
      try {
        await expectLibrsyncError(deltaFile(bad, newPath, dir.path('out.delta')), code);
        await settledListing(dir.dir, []);
      } finally {
        dir.remove();
      }
    });

    it('block length 2^24 (the maximum) and strong length 0 (= maximum) are accepted', async () => {
      const set = await loadSignature(sigHeader(B2, 1 << 24, 0));
      expect(set.blockLength).toBe(1 << 24);
      expect(set.strongLength).toBe(32);
      expect(set.blockCount).toBe(0);
      set.close();
      const md4 = await loadSignature(Buffer.concat([sigHeader(MD4, 100, 0), randomBytesSeeded(2 * 20, 1)]));
      expect(md4.strongLength).toBe(16);
      expect(md4.blockCount).toBe(2);
      md4.close();
    });

    it('a delta file is not a signature, a signature is not a delta', async () => {
      const d = await deltaBuffer(await signatureBuffer(basis), newData);
      const s = await signatureBuffer(basis);
      const loadErr = await loadSignature(d).catch((e: LibrsyncError) => e);
      expect(loadErr).toBeInstanceOf(LibrsyncError);
      expect(['RS_BAD_MAGIC', 'RS_CORRUPT']).toContain((loadErr as LibrsyncError).code);
      expect((loadErr as LibrsyncError).result).toBe(rdiffStatus('-f', 'delta', write(fresh('delta-as-sig'), d), newPath, fresh('out')));
      await expectLibrsyncError(compareSignatures(d, s), (loadErr as LibrsyncError).code);
      const err = await expectLibrsyncError(patchBuffer(basis, s), 'RS_BAD_MAGIC');
      expect(err.result).toBe(rdiffStatus('-f', 'patch', basisPath, write(fresh('sig-as-delta'), s), fresh('out')));
    });
  });

  // ---------------------------------------------------------------------
  describe('bad deltas', () => {
    /** Applies `d` with our patch (Buffer, path and fd basis) and expects `code`; .result checked against rdiff when asked. */
    async function expectPatchError(d: Buffer, code: string, compareRdiff = true, base = basis, basePath = basisPath): Promise<void> {
      const err = await expectLibrsyncError(withTimeout(patchBuffer(base, d), 10_000, 'patchBuffer'), code);
      await expectLibrsyncError(withTimeout(patchBuffer(basePath, d), 10_000, 'patchBuffer(path)'), code);
      const fd = openSync(basePath, 'r');
      try {
        await expectLibrsyncError(withTimeout(runChunks(patch(fd), [d]), 10_000, 'patch(fd)'), code);
      } finally {
        closeSync(fd);
      }
      if (compareRdiff) {
        expect(err.result).toBe(rdiffStatus('-f', 'patch', basePath, write(fresh('bad.delta'), d), fresh('rdiff.out')));
      }
    }

    it('a hand-built delta with every opcode form patches exactly like rdiff', async () => {
      const expected = readBytes(
        (() => {
          const out = fresh('ks.out');
          expect(rdiffStatus('-f', 'patch', basisPath, write(fresh('ks.delta'), kitchenSink), out)).toBe(0);
          return out;
        })(),
      );
      expect(expected.length).toBeGreaterThan(1000);
      expectSameBytes(await patchBuffer(basis, kitchenSink), expected, 'patchBuffer');
      expectSameBytes(await patchBuffer(basisPath, kitchenSink), expected, 'patchBuffer(path)');
      expectSameBytes(await runChunks(patch(basis, { outputChunkSize: 3 }), [kitchenSink]), expected, 'patch() small output');
    });

    it('every truncation of that delta is RS_INPUT_ENDED (rdiff: 103)', async () => {
      for (let cut = 0; cut < kitchenSink.length; cut++) {
        const truncated = kitchenSink.subarray(0, cut);
        const err = await expectLibrsyncError(withTimeout(patchBuffer(basis, truncated), 10_000, `cut ${cut}`), 'RS_INPUT_ENDED');
        if (cut % 41 === 0 || cut < 6) {
          expect(err.result).toBe(rdiffStatus('-f', 'patch', basisPath, write(fresh('cut.delta'), truncated), fresh('out')));
        }
      }
    });

    it('truncations of an rdiff-made delta through patchFile are RS_INPUT_ENDED and leave no file', async () => {
      const sigPath = fresh('t.sig');
      rdiffSignature(basisPath, sigPath, { blockLength: 128 });
      const full = rdiffDelta(sigPath, newPath, fresh('t.delta'));
      const dir = scratchDir('librsync-trunc-out-');
      try {
        for (const cut of [0, 2, 4, 5, 6, Math.floor(full.length / 2), full.length - 2, full.length - 1]) {
          const dPath = write(fresh('tcut.delta'), full.subarray(0, cut));
          await expectLibrsyncError(patchFile(basisPath, dPath, dir.path('out')), 'RS_INPUT_ENDED');
          expect(existsSync(dir.path('out'))).toBe(false);
          await settledListing(dir.dir, []);
        }
      } finally {
        dir.remove();
      }
    });

    it('bytes after the END command are ignored, as by rdiff', async () => {
      const d = Buffer.concat([kitchenSink, Buffer.from('trailing garbage \xff\x55')]);
      const expected = await patchBuffer(basis, kitchenSink);
      expectSameBytes(await patchBuffer(basis, d), expected, 'with trailing bytes');
      const out = fresh('trail.out');
      expect(rdiffStatus('-f', 'patch', basisPath, write(fresh('trail.delta'), d), out)).toBe(0);
      expectSameBytes(readBytes(out), expected, 'rdiff with trailing bytes');
    });

    it.each([
      ['signature magic', Buffer.from([0x72, 0x73, 0x01, 0x47])],
      ['0x72730237', Buffer.from([0x72, 0x73, 0x02, 0x37])],
      ['zeros', Buffer.alloc(4)],
      ['text', Buffer.from('diff')],
    ])('wrong delta magic: %s -> RS_BAD_MAGIC', async (_name, magic) => {
      await expectPatchError(Buffer.concat([magic, literalCmd(Buffer.from('abc')), Buffer.from([0])]), 'RS_BAD_MAGIC');
    });

    it('every reserved opcode 0x55-0xff is RS_CORRUPT', async () => {
      for (let op = 0x55; op <= 0xff; op++) {
        const d = Buffer.concat([DELTA_MAGIC_BYTES, literalCmd(Buffer.from('ok')), Buffer.from([op, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
        const err = await expectLibrsyncError(withTimeout(patchBuffer(basis, d), 10_000, `op ${op}`), 'RS_CORRUPT');
        expect(err.result).toBe(106);
      }
    });

    it.each([0x55, 0x80, 0xff])('reserved opcode 0x%s agrees with rdiff on every basis kind', async (op) => {
      await expectPatchError(Buffer.concat([DELTA_MAGIC_BYTES, Buffer.from([op, 1, 1, 1, 1]), Buffer.from([0])]), 'RS_CORRUPT');
    });

    it.each([
      ['literal 0x41 len 0', Buffer.from([0x41, 0])],
      ['literal 0x42 len 0', Buffer.from([0x42, 0, 0])],
      ['literal 0x43 len 0', Buffer.from([0x43, 0, 0, 0, 0])],
      ['literal 0x44 len 0', Buffer.from([0x44, 0, 0, 0, 0, 0, 0, 0, 0])],
      ['copy 0x45 offset 0 len 0', copyCmd(0, 0, 1, 1)],
      ['copy offset 100 len 0 (2-byte len)', copyCmd(100, 0, 1, 2)],
      ['copy 0x54 8-byte offset and len 0', copyCmd(0, 0, 8, 8)],
    ])('zero-length command: %s -> RS_CORRUPT', async (_name, cmd) => {
      await expectPatchError(buildDelta(literalCmd(Buffer.from('x')), cmd), 'RS_CORRUPT');
    });

    // librsync reads 8-byte fields as signed: from 2^63 up they are negative, hence corrupt.
    it.each([
      ['literal 0x44 len 2^63', Buffer.from([0x44, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x78])],
      ['copy 8-byte offset 2^63', copyCmd(2n ** 63n, 1, 8, 1)],
      ['copy 8-byte len 2^64-1', copyCmd(0, 2n ** 64n - 1n, 1, 8)],
      ['copy 8-byte offset and len 2^64-1', copyCmd(2n ** 64n - 1n, 2n ** 64n - 1n, 8, 8)],
    ])('8-byte field with the top bit set: %s -> RS_CORRUPT', async (_name, cmd) => {
      await expectPatchError(buildDelta(literalCmd(Buffer.from('x')), cmd), 'RS_CORRUPT');
    });

    describe('COPY past the end of the basis -> RS_COPY_OUT_OF_RANGE (rdiff would accept it)', () => {
      it.each([
        ['0 + 5001', 0, 5001],
        ['4999 + 2', 4999, 2],
        ['5000 + 1', 5000, 1],
        ['0xffffffff + 1', 0xffffffff, 1],
        ['2^40 + 10', 2 ** 40, 10],
        ['0 + 2^40', 0, 2 ** 40],
      ])('%s', async (_name, offset, length) => {
        await expectPatchError(buildDelta(literalCmd(Buffer.from('abc')), copyCmd(offset, length)), 'RS_COPY_OUT_OF_RANGE', false);
      });

      it('the last byte exactly is fine', async () => {
        const out = await patchBuffer(basis, buildDelta(copyCmd(4999, 1), copyCmd(0, 5000)));
        expectSameBytes(out, Buffer.concat([basis.subarray(4999), basis]), 'output');
      });

      it('any COPY from an empty basis', async () => {
        const emptyPath = write(fresh('empty'), Buffer.alloc(0));
        await expectPatchError(buildDelta(copyCmd(0, 1)), 'RS_COPY_OUT_OF_RANGE', false, Buffer.alloc(0), emptyPath);
      });

      it('past the end of a 2 MiB basis after 2 MiB of output: patchFile leaves no file', async () => {
        const big = randomBytesSeeded(2 << 20, 44);
        const bigPath = write(fresh('big'), big);
        const d = buildDelta(copyCmd(0, big.length), copyCmd(0, big.length + 1));
        await expectPatchError(d, 'RS_COPY_OUT_OF_RANGE', false, big, bigPath);
        const dPath = write(fresh('oor.delta'), d);
        const dir = scratchDir('librsync-oor-out-');
        try {
          await expectLibrsyncError(patchFile(bigPath, dPath, dir.path('out')), 'RS_COPY_OUT_OF_RANGE');
          expect(existsSync(dir.path('out'))).toBe(false);
          await settledListing(dir.dir, []);
        } finally {
          dir.remove();
        }
      });
    });

    describe('maxOutput', () => {
      const d = buildDelta(literalCmd(randomBytesSeeded(6000, 45)), copyCmd(0, 4000));
      it('exactly the output size passes, one less is RS_OUTPUT_LIMIT', async () => {
        expect((await patchBuffer(basis, d, { maxOutput: 10_000 })).length).toBe(10_000);
        expect((await patchBuffer(basis, d, { maxOutput: 1e9 })).length).toBe(10_000);
        await expectLibrsyncError(patchBuffer(basis, d, { maxOutput: 9999 }), 'RS_OUTPUT_LIMIT');
        await expectLibrsyncError(patchBuffer(basisPath, d, { maxOutput: 5000 }), 'RS_OUTPUT_LIMIT');
        await expectLibrsyncError(runChunks(patch(basis, { maxOutput: 1, outputChunkSize: 7 }), [d]), 'RS_OUTPUT_LIMIT');
      });

      it('0 allows only an empty output', async () => {
        expect((await patchBuffer(basis, buildDelta(), { maxOutput: 0 })).length).toBe(0);
        await expectLibrsyncError(patchBuffer(basis, buildDelta(literalCmd(Buffer.from('a'))), { maxOutput: 0 }), 'RS_OUTPUT_LIMIT');
      });

      it('a delta bomb (2000 x 1 MiB COPY) stops quickly at the limit', async () => {
        const big = randomBytesSeeded(1 << 20, 46);
        const bomb = buildDelta(...Array.from({ length: 2000 }, () => copyCmd(0, big.length)));
        const started = Date.now();
        await expectLibrsyncError(withTimeout(patchBuffer(big, bomb, { maxOutput: 8 << 20 }), 20_000, 'bomb'), 'RS_OUTPUT_LIMIT');
        expect(Date.now() - started).toBeLessThan(10_000);
        const dir = scratchDir('librsync-bomb-out-');
        try {
          const bigPath = write(dir.path('basis'), big);
          const bombPath = write(dir.path('bomb.delta'), bomb);
          await expectLibrsyncError(patchFile(bigPath, bombPath, dir.path('out'), { maxOutput: 3 << 20 }), 'RS_OUTPUT_LIMIT');
          expect(existsSync(dir.path('out'))).toBe(false);
          await settledListing(dir.dir, ['basis', 'bomb.delta']);
        } finally {
          dir.remove();
        }
      });

      it.each([-1, 1.5, NaN, 2 ** 60])('maxOutput %p is RS_PARAM_ERROR, thrown by patch()', (maxOutput) => {
        expectSyncLibrsyncError(() => patch(basis, { maxOutput }), 'RS_PARAM_ERROR');
      });
    });
  });

  // ---------------------------------------------------------------------
  describe('absurd options are RS_PARAM_ERROR, thrown synchronously', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['blockLength -5', { blockLength: -5 }],
      ['blockLength 2^24 + 1', { blockLength: (1 << 24) + 1 }],
      ['blockLength 2^31', { blockLength: 2 ** 31 }],
      ['blockLength 1.5', { blockLength: 1.5 }],
      ['blockLength NaN', { blockLength: NaN }],
      ['blockLength Infinity', { blockLength: Infinity }],
      ['blockLength "256"', { blockLength: '256' }],
      ['strongLength 33 (blake2)', { strongLength: 33 }],
      ['strongLength 17 (md4)', { hash: 'md4', strongLength: 17 }],
      ['strongLength -2', { strongLength: -2 }],
      ['strongLength 2.5', { strongLength: 2.5 }],
      ['hash sha1', { hash: 'sha1' }],
      ['rollsum adler32', { rollsum: 'adler32' }],
      ['size -1', { size: -1 }],
      ['size 1.5', { size: 1.5 }],
      ['inputChunkSize 0', { inputChunkSize: 0 }],
      ['outputChunkSize 0', { outputChunkSize: 0 }],
      ['outputChunkSize 2^31', { outputChunkSize: 2 ** 31 }],
    ];
    it.each(bad)('signature({ %s })', async (_name, opts) => {
      const err = expectSyncLibrsyncError(() => signature(opts as never), 'RS_PARAM_ERROR');
      expect(err.result).toBe(108);
      await expectLibrsyncError(signatureBuffer(basis, opts as never), 'RS_PARAM_ERROR');
      const dir = scratchDir('librsync-bad-opt-');
      try {
        await expectLibrsyncError(signatureFile(basisPath, dir.path('out.sig'), opts as never), 'RS_PARAM_ERROR');
        expect(leftovers(dir.dir)).toEqual([]);
      } finally {
        dir.remove();
      }
    });

    it('blockLength 0 means the default, as for rdiff -b 0', async () => {
      const data = randomBytesSeeded(200_000, 47);
      const p = write(fresh('bl0'), data);
      const expected = rdiffSignature(p, fresh('bl0.sig'), { blockLength: 0 });
      expectSameBytes(await runChunks(signature({ blockLength: 0, size: data.length }), [data]), expected, 'blockLength 0');
      expectSameBytes(await signatureBuffer(data, { blockLength: 0 }), expected, 'signatureBuffer blockLength 0');
    });

    it('the limits themselves are accepted: blockLength 2^24, strongLength 32 (blake2), 16 (md4), 1', async () => {
      const data = randomBytesSeeded(1000, 48);
      const p = write(fresh('lim'), data);
      for (const opts of [{ blockLength: 1 << 24 }, { strongLength: 32 }, { hash: 'md4' as const, strongLength: 16 }, { strongLength: 1 }]) {
        expectSameBytes(await signatureBuffer(data, opts), rdiffSignature(p, fresh('lim.sig'), opts), JSON.stringify(opts));
      }
    });

    it('delta() and patch() refuse what they cannot use', async () => {
      expectSyncLibrsyncError(() => delta({} as never), 'RS_PARAM_ERROR');
      expectSyncLibrsyncError(() => delta(Buffer.alloc(12) as never), 'RS_PARAM_ERROR');
      const set = await loadSignature(await signatureBuffer(basis));
      set.close();
      expectSyncLibrsyncError(() => delta(set), 'RS_PARAM_ERROR');
      await expectLibrsyncError(deltaBuffer(set, newData), 'RS_PARAM_ERROR');
      expectSyncLibrsyncError(() => patch({} as never), 'RS_PARAM_ERROR');
      expectSyncLibrsyncError(() => patch(-1), 'RS_PARAM_ERROR');
      expectSyncLibrsyncError(() => patch(1.5), 'RS_PARAM_ERROR');
      expectSyncLibrsyncError(() => patch(undefined as never), 'RS_PARAM_ERROR');
    });
  });

  // ---------------------------------------------------------------------
  describe('missing files', () => {
    const missing = scratch.path('does-not-exist');
    async function expectEnoent(p: Promise<unknown>): Promise<void> {
      await expect(withTimeout(p, 10_000, 'ENOENT')).rejects.toMatchObject({ code: 'ENOENT' });
    }

    it('loadSignature, signatureFile, deltaFile, patchFile, patchBuffer reject with ENOENT and write nothing', async () => {
      const sigPath = write(fresh('ok.sig'), await signatureBuffer(basis));
      const deltaPath = write(fresh('ok.delta'), await deltaBuffer(sigPath, newData));
      const dir = scratchDir('librsync-missing-');
      try {
        await expectEnoent(loadSignature(missing));
        await expectEnoent(signatureFile(missing, dir.path('a')));
        await expectEnoent(deltaFile(missing, newPath, dir.path('b')));
        await expectEnoent(deltaFile(sigPath, missing, dir.path('c')));
        await expectEnoent(deltaBuffer(sigPath, missing));
        await expectEnoent(patchFile(missing, deltaPath, dir.path('d')));
        await expectEnoent(patchFile(basisPath, missing, dir.path('e')));
        await expectEnoent(patchBuffer(missing, readBytes(deltaPath)));
        await settledListing(dir.dir, []);
        // An output directory that does not exist.
        await expectEnoent(signatureFile(basisPath, scratch.path('no-such-dir/out.sig')));
      } finally {
        dir.remove();
      }
    });

    it('a missing basis path errors the patch() stream, with or without input', async () => {
      const s = patch(missing);
      const [err] = (await withTimeout(once(s, 'error'), 10_000, 'error event')) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ENOENT');
      await expect(
        withTimeout(
          pipeline(Readable.from([buildDelta(literalCmd(Buffer.from('x')))]), patch(missing), new Writable({ write: (_c, _e, cb) => cb() })),
          10_000,
          'pipeline',
        ),
      ).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  // ---------------------------------------------------------------------
  describe('failed file operations leave no output and no temporary file', () => {
    const corrupt = buildDelta(literalCmd(Buffer.from('abc')), Buffer.from([0x99]));

    it('patchFile with a corrupt delta: nothing in the directory once the promise has settled', async () => {
      const dir = scratchDir('librsync-atomic-');
      try {
        const dPath = write(dir.path('bad.delta'), corrupt);
        await expectLibrsyncError(patchFile(basisPath, dPath, dir.path('out')), 'RS_CORRUPT');
        expect(leftovers(dir.dir)).toEqual(['bad.delta']);
        expect(existsSync(dir.path('out'))).toBe(false);
      } finally {
        dir.remove();
      }
    });

    it('patchFile with a missing delta or a COPY out of range: nothing left once the promise has settled', async () => {
      const dir = scratchDir('librsync-atomic-');
      try {
        await expect(patchFile(basisPath, scratch.path('no-such.delta'), dir.path('out'))).rejects.toMatchObject({ code: 'ENOENT' });
        expect(leftovers(dir.dir)).toEqual([]);
        const oor = write(scratch.path('atomic-oor.delta'), buildDelta(literalCmd(randomBytesSeeded(64, 1)), copyCmd(0, 5001)));
        await expectLibrsyncError(patchFile(basisPath, oor, dir.path('out')), 'RS_COPY_OUT_OF_RANGE');
        expect(leftovers(dir.dir)).toEqual([]);
      } finally {
        dir.remove();
      }
    });

    it('deltaFile with a truncated signature: nothing left once the promise has settled', async () => {
      const dir = scratchDir('librsync-atomic-');
      try {
        const sig = await signatureBuffer(basis, { blockLength: 100 });
        await expectLibrsyncError(deltaFile(sig.subarray(0, sig.length - 5), newPath, dir.path('out.delta')), 'RS_INPUT_ENDED');
        expect(leftovers(dir.dir)).toEqual([]);
      } finally {
        dir.remove();
      }
    });

    it('signatureFile aborted by a signal: no output, temp file removed', async () => {
      const dir = scratchDir('librsync-atomic-');
      try {
        const bigPath = write(dir.path('big'), randomBytesSeeded(16 << 20, 49));
        const ac = new AbortController();
        const p = signatureFile(bigPath, dir.path('out.sig'), { signal: ac.signal, blockLength: 16 });
        // Abort once the temporary output file exists (so the test does not depend on timing).
        for (let i = 0; i < 5000 && !readdirSync(dir.dir).some((n) => n.endsWith('.tmp')); i++) await new Promise((r) => setImmediate(r));
        expect(readdirSync(dir.dir).some((n) => n.endsWith('.tmp'))).toBe(true);
        ac.abort();
        await expect(p).rejects.toMatchObject({ name: 'AbortError' });
        expect(existsSync(dir.path('out.sig'))).toBe(false);
        // Whether the temp file is already gone when an abort settles the
        // promise is timing-dependent; the patchFile tests above check the
        // settle-time state deterministically, here only the final state.
        await settledListing(dir.dir, ['big']);
      } finally {
        dir.remove();
      }
    });

    // An abort that arrives while the output is being committed (fsync,
    // close, rename): found by the soak (test/soak-streams.test.ts), where
    // a helper rejected with an AbortError and its target appeared anyway.
    describe('aborted while the output is being committed', () => {
      /** The writer's own handle: its descriptor is open on the temporary file. */
      const onTemporary = (handle: unknown): boolean => readlinkSync(`/proc/self/fd/${(handle as { fd: number }).fd}`).endsWith('.tmp');

      /**
       * Runs `during` from inside the next call of FileHandle.prototype.sync
       * or .close on the temporary file, or of fs.promises.rename.
       */
      async function interceptNext(what: 'sync' | 'close' | 'rename', during: () => void, run: () => Promise<unknown>): Promise<unknown> {
        type Method = (...args: unknown[]) => Promise<unknown>;
        const probe = await fsPromises.open(basisPath, 'r');
        const proto = Object.getPrototypeOf(probe) as Record<string, Method>;
        await probe.close();
        let fired = false;
        const once = (): void => {
          if (!fired) {
            fired = true;
            during();
          }
        };
        // close() is a property of each FileHandle, not of the prototype: wrap the temporary file's as it is opened.
        const target = what === 'sync' ? proto : (fsPromises as unknown as Record<string, Method>);
        const name = what === 'close' ? 'open' : what;
        const original = target[name];
        target[name] = async function (this: unknown, ...args: unknown[]) {
          if (what === 'sync' && onTemporary(this)) once();
          if (what === 'rename') once();
          const result = await original.apply(this, args);
          if (what === 'close' && String(args[0]).endsWith('.tmp')) {
            const handle = result as { close: () => Promise<void> };
            const close = handle.close;
            handle.close = () => {
              once();
              return close.call(handle);
            };
          }
          return result;
        };
        // A busy thread pool: the cleanup's unlink() takes a while, as
        // under load, instead of winning the race against the commit.
        const fsModule = fsPromises as unknown as Record<string, Method>;
        const unlink = fsModule.unlink;
        fsModule.unlink = (...args: unknown[]) => new Promise((r) => setTimeout(r, 30)).then(() => unlink(...args));
        try {
          return await run().then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
        } finally {
          target[name] = original;
          fsModule.unlink = unlink;
          expect(fired).toBe(true);
        }
      }

      const helpers: [string, (out: string, signal: AbortSignal) => Promise<unknown>, () => Promise<Buffer>][] = [
        ['signatureFile', (out, signal) => signatureFile(basisPath, out, { signal }), () => signatureBuffer(basis)],
        ['deltaFile', (out, signal) => deltaFile(sigOf(), newPath, out, { signal }), () => deltaBuffer(sigOf(), newData)],
        ['patchFile', (out, signal) => patchFile(basisPath, deltaPathOf(), out, { signal }), async () => newData],
      ];
      let sig: Buffer;
      let deltaPath: string;
      const sigOf = (): Buffer => sig;
      const deltaPathOf = (): string => deltaPath;
      beforeAll(async () => {
        sig = await signatureBuffer(basis);
        deltaPath = write(scratch.path('commit-abort.delta'), await deltaBuffer(sig, newData));
      });

      const beforeRename = helpers.flatMap(([name, run, expected]) =>
        (['sync', 'close'] as const).map((step) => [name, step, run, expected] as const),
      );
      it.each(beforeRename)('%s aborted during the %s: rejects, and neither the output nor a temporary file ever appears', async (_name, step, run) => {
        const dir = scratchDir('librsync-atomic-');
        try {
          const ac = new AbortController();
          const outcome = (await interceptNext(step, () => ac.abort(), () => run(dir.path('out'), ac.signal))) as { error?: Error };
          expect(outcome.error?.name).toBe('AbortError');
          expect(leftovers(dir.dir)).toEqual([]);
          await new Promise((r) => setTimeout(r, 100)); // a rename still on its way would land by now
          expect(leftovers(dir.dir)).toEqual([]);
        } finally {
          dir.remove();
        }
      });

      it.each(helpers)('%s aborted during the rename: the output is complete, so the helper resolves', async (_name, run, expected) => {
        const dir = scratchDir('librsync-atomic-');
        try {
          const ac = new AbortController();
          const outcome = (await interceptNext('rename', () => ac.abort(), () => run(dir.path('out'), ac.signal))) as { error?: Error; value?: unknown };
          expect(outcome.error).toBeUndefined();
          expect(leftovers(dir.dir)).toEqual(['out']);
          expectSameBytes(readBytes(dir.path('out')), await expected(), 'committed output');
        } finally {
          dir.remove();
        }
      });
    });

    it('an existing output file is left untouched when patchFile, deltaFile or signatureFile fail', async () => {
      const dir = scratchDir('librsync-atomic-');
      try {
        const original = randomBytesSeeded(10_000, 50);
        const out = write(dir.path('existing'), original);
        const dPath = write(dir.path('bad.delta'), corrupt);
        await expectLibrsyncError(patchFile(basisPath, dPath, out), 'RS_CORRUPT');
        await expectLibrsyncError(patchFile(basisPath, write(dir.path('oor.delta'), buildDelta(copyCmd(0, 99_999))), out), 'RS_COPY_OUT_OF_RANGE');
        await expectLibrsyncError(deltaFile(sigHeader(0x72730148, 256, 32), newPath, out), 'RS_BAD_MAGIC');
        await expectLibrsyncError(signatureFile(basisPath, out, { blockLength: -1 }), 'RS_PARAM_ERROR');
        await expect(signatureFile(scratch.path('nope'), out)).rejects.toMatchObject({ code: 'ENOENT' });
        expectSameBytes(readBytes(out), original, 'existing output');
        expect(leftovers(dir.dir)).toEqual(['bad.delta', 'existing', 'oor.delta']);
      } finally {
        dir.remove();
      }
    });

    it('overwrite: false refuses an existing output and keeps it', async () => {
      const dir = scratchDir('librsync-atomic-');
      try {
        const original = Buffer.from('keep me');
        const out = write(dir.path('existing'), original);
        await expect(signatureFile(basisPath, out, { overwrite: false })).rejects.toMatchObject({ code: 'EEXIST' });
        expectSameBytes(readBytes(out), original, 'existing output');
        expect(leftovers(dir.dir)).toEqual(['existing']);
        // and a successful overwrite really replaces it
        await signatureFile(basisPath, out);
        expectSameBytes(readBytes(out), await signatureBuffer(basis), 'overwritten');
      } finally {
        dir.remove();
      }
    });
  });

  // ---------------------------------------------------------------------
  describe('fuzzing: random mutations never crash or hang', () => {
    type Mutator = (b: Buffer, r: (n: number) => number) => Buffer;
    const mutators: Mutator[] = [
      (b, r) => {
        const c = Buffer.from(b);
        if (c.length) c[r(c.length)] ^= 1 << r(8);
        return c;
      },
      (b, r) => {
        const c = Buffer.from(b);
        if (c.length) c[r(c.length)] = r(256);
        return c;
      },
      (b, r) => b.subarray(0, r(b.length + 1)),
      (b, r) => {
        const at = r(b.length + 1);
        return Buffer.concat([b.subarray(0, at), Buffer.from([r(256)]), b.subarray(at)]);
      },
      (b, r) => {
        const at = r(Math.max(1, b.length));
        return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r(8))]);
      },
      (b, r) => {
        const c = Buffer.from(b);
        const at = r(Math.max(1, c.length - 8));
        for (let i = 0; i < 8 && at + i < c.length; i++) c[at + i] = 0xff;
        return c;
      },
    ];
    function mutate(b: Buffer, r: (n: number) => number): Buffer {
      let out = b;
      const n = 1 + r(3);
      for (let i = 0; i < n; i++) out = mutators[r(mutators.length)](out, r);
      return out;
    }
    async function outcome(p: Promise<unknown>, allowed: string[], what: string): Promise<'ok' | string> {
      try {
        await withTimeout(p, 15_000, what);
        return 'ok';
      } catch (err) {
        if (!(err instanceof LibrsyncError)) throw new Error(`${what}: not a LibrsyncError: ${String(err)}`);
        if (!allowed.includes(err.code)) throw new Error(`${what}: unexpected code ${err.code}: ${err.message}`);
        return err.code;
      }
    }

    it('300 mutated deltas (Buffer and path basis)', async () => {
      const sig = await signatureBuffer(basis, { blockLength: 64 });
      const valid = Buffer.concat([(await deltaBuffer(sig, newData)).subarray(0, -1), ...pieces.slice(0, 6), copyCmd(100, 200, 2, 4), Buffer.from([0])]);
      expect((await patchBuffer(basis, valid)).length).toBeGreaterThan(newData.length);
      const r = prng(20240601);
      const seen = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const m = mutate(valid, r);
        const code = await outcome(patchBuffer(basis, m, { maxOutput: 1 << 20 }), DELTA_ERROR_CODES, `delta mutation ${i} (${m.toString('hex').slice(0, 80)}…)`);
        seen.set(code, (seen.get(code) ?? 0) + 1);
        if (i % 3 === 0) {
          const code2 = await outcome(patchBuffer(basisPath, m, { maxOutput: 1 << 20 }), DELTA_ERROR_CODES, `delta mutation ${i}, path basis`);
          expect(code2).toBe(code);
        }
      }
      // The mutations did exercise both outcomes.
      expect(seen.get('ok') ?? 0).toBeGreaterThan(0);
      expect(300 - (seen.get('ok') ?? 0)).toBeGreaterThan(0);
    });

    it('300 mutated signatures (loadSignature, then a delta that must round-trip if it loaded)', async () => {
      const small = basis.subarray(0, 2000);
      const sigs = [await signatureBuffer(small, { blockLength: 64, strongLength: 8 }), await signatureBuffer(small, { blockLength: 100, hash: 'md4', rollsum: 'rollsum' })];
      const r = prng(777);
      const seen = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const m = mutate(sigs[i % 2], r);
        let set;
        try {
          set = await withTimeout(loadSignature(m), 15_000, `signature mutation ${i}`);
        } catch (err) {
          if (!(err instanceof LibrsyncError)) throw new Error(`signature mutation ${i}: not a LibrsyncError: ${String(err)}`);
          if (!SIGNATURE_ERROR_CODES.includes(err.code)) {
            throw new Error(`signature mutation ${i} (${m.subarray(0, 12).toString('hex')}…): unexpected code ${err.code}: ${err.message}`);
          }
          seen.set(err.code, (seen.get(err.code) ?? 0) + 1);
          continue;
        }
        seen.set('ok', (seen.get('ok') ?? 0) + 1);
        try {
          // Matching against a corrupted signature must still give a delta
          // that is internally valid (patching it with a basis of the
          // signature's block geometry never fails with anything but range).
          const d = await withTimeout(deltaBuffer(set, newData.subarray(0, 3000)), 15_000, `delta with mutation ${i}`);
          await outcome(patchBuffer(small, d), ['RS_COPY_OUT_OF_RANGE'], `patch with mutation ${i}`);
        } finally {
          set.close();
        }
      }
      expect(seen.get('ok') ?? 0).toBeGreaterThan(0);
      expect(300 - (seen.get('ok') ?? 0)).toBeGreaterThan(0);
    });
  });
});
