// The js backend shares the main thread with the application: each step
// does a bounded amount of work and calls back asynchronously, so other
// callbacks run between steps of even a long job.
import { deltaBuffer, loadSignature, signatureBuffer } from '../lib';
import { Job } from '../lib/job';
import { MemoryBasis } from '../lib/js/basis-source';
import { JsDeltaJob } from '../lib/js/js-delta-job';
import { JsLoadSignatureJob } from '../lib/js/js-loadsig-job';
import { JsPatchJob } from '../lib/js/js-patch-job';
import { JsSignatureJob } from '../lib/js/js-signature-job';
import { resolveSignatureParams } from '../lib/signature-params';
import { randomBytesSeeded } from './support/files';

const MiB = 1 << 20;

function stepOnce(job: Job, input: Buffer, outputLength = 4 * MiB): Promise<{ consumed: number; produced: number; sync: boolean }> {
  return new Promise((resolve, reject) => {
    let returned = false;
    let sync = false;
    job.step(false, input, 0, input.length, job.kind === 'loadsig' ? null : Buffer.alloc(outputLength), 0, job.kind === 'loadsig' ? 0 : outputLength, (err, consumed, produced) => {
      sync = !returned;
      if (err) reject(err);
      else resolve({ consumed, produced, sync });
    });
    returned = true;
  });
}

describe('js jobs do bounded work per step', () => {
  const data = randomBytesSeeded(8 * MiB, 3);

  it('signature takes at most 1 MiB per step and calls back asynchronously', async () => {
    const job = await JsSignatureJob.create(resolveSignatureParams({ blockLength: 2048 }));
    const step = await stepOnce(job, data);
    expect(step.sync).toBe(false);
    expect(step.consumed).toBe(MiB);
    job.close();
  });

  it('signature with tiny blocks bounds the entries (output) of a step', async () => {
    const job = await JsSignatureJob.create(resolveSignatureParams({ blockLength: 1, hash: 'md4' }));
    const step = await stepOnce(job, data);
    expect(step.consumed).toBeLessThanOrEqual(8192);
    job.close();
  });

  it('delta takes at most 256 KiB per step, even of data that matches nothing', async () => {
    const set = await loadSignature(await signatureBuffer(randomBytesSeeded(MiB, 4)), { backend: 'js' });
    const job = new JsDeltaJob(set.js);
    const step = await stepOnce(job, data);
    expect(step.sync).toBe(false);
    expect(step.consumed).toBe(256 << 10);
    job.close();
  });

  it('loadsig starts with small steps (its code is not optimized yet), then takes 4096 entries per step', async () => {
    const sig = await signatureBuffer(data, { blockLength: 64, backend: 'js' });
    const job = new JsLoadSignatureJob();
    const entry = 4 + 32;
    const consumed: number[] = [];
    for (let at = 0; consumed.length < 7; ) {
      const { consumed: n } = await stepOnce(job, sig.subarray(at));
      consumed.push(n);
      at += n;
    }
    expect(consumed).toEqual([12 + 256 * entry, 512 * entry, 1024 * entry, 2048 * entry, 4096 * entry, 4096 * entry, 4096 * entry]);
    job.close();
  });

  it('patch writes at most the output it is given', async () => {
    const literal = Buffer.concat([Buffer.from([0x72, 0x73, 0x02, 0x36, 0x43]), Buffer.from([0, 0x80, 0, 0]), data]);
    const job = new JsPatchJob(new MemoryBasis(Buffer.alloc(0)));
    const step = await stepOnce(job, literal, 100_000);
    expect(step.produced).toBe(100_000);
    job.close();
  });

  // Work that scales with commands or matches rather than bytes: 1 MiB of
  // 1-byte commands, or a match at every position of a 1-byte-block
  // signature (a strong sum each), took 60-200 ms in one step.
  it('patch decodes a bounded number of commands per step', async () => {
    const tiny = Buffer.alloc(4 + 2 * 400_000, 1);
    tiny.writeUInt32BE(0x72730236, 0); // then 400,000 one-byte LITERALs of 0x01
    const job = new JsPatchJob(new MemoryBasis(Buffer.alloc(0)));
    const step = await stepOnce(job, tiny);
    expect(step.produced).toBeGreaterThan(0);
    expect(step.produced).toBeLessThanOrEqual(16384);
    job.close();
  });

  it('delta against tiny blocks takes a bounded number of blocks (strong sums) per step', async () => {
    const basis = randomBytesSeeded(64 << 10, 6);
    const set = await loadSignature(await signatureBuffer(basis, { blockLength: 1, backend: 'js' }), { backend: 'js' });
    const job = new JsDeltaJob(set.js);
    const step = await stepOnce(job, basis);
    expect(step.consumed).toBeGreaterThan(0);
    expect(step.consumed).toBeLessThanOrEqual(4096);
    job.close();
  });

  it('loadsig takes a bounded number of entries per step (5-byte entries took ~30 ms per MiB)', async () => {
    const header = Buffer.from([0x72, 0x73, 0x01, 0x46, 0, 0, 0, 1, 0, 0, 0, 1]); // block 1, strong sum 1
    const sig = Buffer.concat([header, randomBytesSeeded(5 * 200_000, 7)]);
    const job = new JsLoadSignatureJob();
    const first = await stepOnce(job, sig);
    expect(first.consumed).toBeGreaterThan(12);
    expect(first.consumed).toBeLessThanOrEqual(12 + 5 * 4096);
    const second = await stepOnce(job, sig.subarray(first.consumed));
    expect(second.consumed).toBeGreaterThan(0);
    expect(second.consumed).toBeLessThanOrEqual(5 * 4096);
    job.close();
  });

  it('other callbacks run between the steps of a long delta', async () => {
    const set = await loadSignature(await signatureBuffer(randomBytesSeeded(MiB, 5)), { backend: 'js' });
    let turns = 0;
    let running = true;
    const spin = (): void => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    await deltaBuffer(set, data, { backend: 'js' });
    running = false;
    // 8 MiB in steps of at most 256 KiB: at least 32 steps, each a turn for others.
    expect(turns).toBeGreaterThanOrEqual(32);
  });
});
