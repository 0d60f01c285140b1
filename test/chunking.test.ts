// Output must not depend on how the input is cut into writes, nor on the
// stream's internal step sizes: 1-byte writes, seeded random chunks and one
// big write all give rdiff's bytes.
import { Readable } from 'node:stream';
import { JobStreamOptions, delta, loadSignature, patch, signature } from '../lib';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import {
  SigOpts,
  byteChunks,
  expectSameBytes,
  prng,
  rdiffDelta,
  rdiffSignature,
  runChunks,
  seededChunks,
  write,
} from './support/rsync';

interface Chunking {
  name: string;
  chunks: (data: Buffer) => Buffer[];
  stream?: JobStreamOptions;
}

function chunkings(seed: number): Chunking[] {
  const r = prng(seed);
  return [
    { name: 'one big write', chunks: (d) => [d] },
    { name: 'one big write, 1 MiB steps', chunks: (d) => [d], stream: { inputChunkSize: 1 << 20, outputChunkSize: 1 << 20 } },
    { name: '1-byte writes', chunks: byteChunks },
    { name: '1-byte writes, 1-byte steps and 1-byte output buffers', chunks: byteChunks, stream: { inputChunkSize: 1, outputChunkSize: 1 } },
    { name: 'random chunks (seed a)', chunks: (d) => seededChunks(d, seed, 3000) },
    {
      name: 'random chunks (seed b), random step sizes',
      chunks: (d) => seededChunks(d, seed + 1, 9000),
      stream: { inputChunkSize: 1 + r(5000), outputChunkSize: 1 + r(700) },
    },
    {
      name: 'random chunks (seed c), tiny output buffers',
      chunks: (d) => seededChunks(d, seed + 2, 20_000),
      stream: { inputChunkSize: 1 + r(100_000), outputChunkSize: 1 + r(13) },
    },
    { name: 'random chunks (seed d), 7-byte steps', chunks: (d) => seededChunks(d, seed + 3, 50), stream: { inputChunkSize: 7, outputChunkSize: 64 } },
  ];
}

describeEachBackendWithRdiff('output is independent of input chunking', () => {
  const scratch = scratchDir('librsync-chunking-');
  afterAll(() => scratch.remove());

  // Small inputs: the 1-byte cases make one write (and with 1-byte steps one
  // thread-pool hop) per byte.
  const basis = randomBytesSeeded(24_000, 31);
  const newData = Buffer.concat([
    basis.subarray(0, 3000),
    randomBytesSeeded(333, 32),
    basis.subarray(3100, 15_000),
    basis.subarray(100, 2100),
    Buffer.alloc(1500),
    basis.subarray(15_000),
    randomBytesSeeded(77, 33),
  ]);
  const basisPath = write(scratch.path('basis'), basis);
  const newPath = write(scratch.path('new'), newData);

  const configs: [string, SigOpts][] = [
    ['blake2/rabinkarp -b 256', { blockLength: 256 }],
    ['md4/rollsum -b 7 -S 4', { hash: 'md4', rollsum: 'rollsum', blockLength: 7, strongLength: 4 }],
  ];

  describe.each(configs)('%s', (name, opts) => {
    const tag = name.replace(/\W+/g, '_');
    let sig: Buffer;
    let deltaBytes: Buffer;
    beforeAll(() => {
      const sigPath = scratch.path(`${tag}.sig`);
      sig = rdiffSignature(basisPath, sigPath, opts);
      deltaBytes = rdiffDelta(sigPath, newPath, scratch.path(`${tag}.delta`));
    });

    describe.each(chunkings(opts.blockLength!))('$name', ({ chunks, stream }) => {
      it('signature', async () => {
        const out = await runChunks(signature({ ...opts, size: basis.length, ...stream }), chunks(basis));
        expectSameBytes(out, sig, 'signature');
      });

      it('delta', async () => {
        const set = await loadSignature(sig);
        try {
          const d = delta(set, stream);
          expectSameBytes(await runChunks(d, chunks(newData)), deltaBytes, 'delta');
          expect(d.stats!.inBytes).toBe(newData.length);
        } finally {
          set.close();
        }
      });

      it('patch (Buffer basis and path basis)', async () => {
        expectSameBytes(await runChunks(patch(basis, stream), chunks(deltaBytes)), newData, 'patch(Buffer)');
        expectSameBytes(await runChunks(patch(basisPath, stream), chunks(deltaBytes)), newData, 'patch(path)');
      });

      it('loadSignature from a chunked stream', async () => {
        const set = await loadSignature(Readable.from(chunks(sig), { objectMode: true }));
        try {
          expect(set.blockCount).toBe(Math.ceil(basis.length / opts.blockLength!));
          expectSameBytes(await runChunks(delta(set), [newData]), deltaBytes, 'delta from chunk-loaded signature');
        } finally {
          set.close();
        }
      });
    });
  });

  it('a signature of a few hundred KiB in random chunks equals one in a single write', async () => {
    const data = randomBytesSeeded(700_000, 34);
    const dataPath = write(scratch.path('big'), data);
    const expected = rdiffSignature(dataPath, scratch.path('big.sig'), { blockLength: 1000 });
    for (let seed = 1; seed <= 3; seed++) {
      const r = prng(seed * 7);
      const s = signature({ blockLength: 1000, size: data.length, inputChunkSize: 1 + r(200_000), outputChunkSize: 1 + r(5000) });
      expectSameBytes(await runChunks(s, seededChunks(data, seed, 60_000)), expected, `signature, seed ${seed}`);
    }
  });
});
