// The js signature splits each batch of blocks across `concurrency` worker
// threads that compute both sums. The bytes must not depend on how many
// workers there are, how the input is chunked, or whether the work was
// done in a worker or inline; and the workers must really run the code
// (a worker whose evaluated source broke would be hidden by the fallback).
import { signatureBuffer } from '../lib';
import { JobStream } from '../lib/job-stream';
import { JsSignatureJob } from '../lib/js/js-signature-job';
import { signatureEntries, signatureWorkers, weakSumOf } from '../lib/js/signature-workers';
import { createStrongSum } from '../lib/js/strong-sum';
import { ALL_MAGICS, runChunks, seededChunks } from './support/rsync';
import { randomBytesSeeded } from './support/files';
import { resolveSignatureParams } from '../lib/signature-params';

const MiB = 1 << 20;

async function jsSignature(data: Buffer, options: { blockLength: number; hash: 'md4' | 'blake2'; rollsum: 'rabinkarp' | 'rollsum' }, concurrency: number): Promise<Buffer> {
  const params = resolveSignatureParams({ ...options, size: data.length });
  const job = await JsSignatureJob.create({ ...params, concurrency });
  return runChunks(new JobStream(job, true), seededChunks(data, concurrency, 700_000));
}

describe('js signature workers', () => {
  it.each(ALL_MAGICS)('a worker computes the same entries as this thread ($hash/$rollsum)', async ({ hash, rollsum }) => {
    const [worker] = signatureWorkers(1);
    expect(worker).toBeDefined();
    const data = new Uint8Array(new SharedArrayBuffer(300_001));
    data.set(randomBytesSeeded(data.length, 41));
    for (const [blockLength, strongLength] of [[4096, 8], [1000, hash === 'md4' ? 16 : 32], [7, 1]]) {
      const strong = await createStrongSum(hash);
      const inline = signatureEntries(data, blockLength, strongLength, weakSumOf[rollsum], (bytes, start, end) => strong.sum(bytes, start, end));
      expect(inline.length).toBe(Math.ceil(data.length / blockLength) * (4 + strongLength));
      const fromWorker = await worker.entries({ hash, rolling: rollsum, data, blockLength, strongLength });
      expect(Buffer.from(fromWorker).equals(Buffer.from(inline))).toBe(true);
    }
  });

  it('the pool gives as many live workers as asked for', () => {
    expect(signatureWorkers(3)).toHaveLength(3);
    expect(new Set(signatureWorkers(3)).size).toBe(3);
  });

  const data = Buffer.concat([randomBytesSeeded(5 * MiB + 12_345, 42), Buffer.alloc(MiB), randomBytesSeeded(333, 43)]);
  it.each([
    [2048, 'blake2', 'rabinkarp'],
    [16384, 'md4', 'rollsum'],
    [777, 'blake2', 'rollsum'],
    [3 * MiB, 'md4', 'rabinkarp'],
  ] as const)('block %i, %s/%s: the same bytes with the default and with 1, 2, 3 and 5 workers as one call over the whole input', async (blockLength, hash, rollsum) => {
    const options = { blockLength, hash, rollsum };
    // The reference: the whole input's entries in one call on this thread, after the header.
    const params = resolveSignatureParams({ ...options, size: data.length });
    const strong = await createStrongSum(hash);
    const header = Buffer.alloc(12);
    header.writeUInt32BE(params.magic, 0);
    header.writeUInt32BE(blockLength, 4);
    header.writeUInt32BE(params.strongLength, 8);
    const entries = signatureEntries(data, blockLength, params.strongLength, weakSumOf[rollsum], (bytes, start, end) => strong.sum(bytes, start, end));
    const expected = Buffer.concat([header, entries]);
    expect(expected.length).toBe(12 + Math.ceil(data.length / blockLength) * (4 + params.strongLength));
    expect((await signatureBuffer(data, { ...options, backend: 'js' })).equals(expected)).toBe(true);
    for (const concurrency of [1, 2, 3, 5]) {
      expect((await jsSignature(data, options, concurrency)).equals(expected)).toBe(true);
    }
  });
});
