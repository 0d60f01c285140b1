// The parallel native signature and delta against the serial librsync job
// (the reference: the linked librsync, whose rdiff these suites also run)
// on inputs made to stress stripe boundaries: tiny stripes so a few KiB
// cross many of them, duplicate and zero blocks that put a stripe's own
// match chain out of step with the serial scan, literal runs longer than
// librsync's literal limit across boundaries, short last blocks.
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { delta, loadSignature, signature } from '../lib';
import { JobStream } from '../lib/job-stream';
import { Job } from '../lib/job';
import { linkedLiteralLimit } from '../lib/literal-limit';
import { nativeBinding } from '../lib/native-binding';
import { ParallelDeltaJob } from '../lib/parallel-delta-job';
import { ParallelSignatureJob } from '../lib/parallel-signature-job';
import { resolveSignatureParams } from '../lib/signature-params';
import { runCli } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeWithRdiff } from './support/requirements';
import { ALL_MAGICS, collectOutput, prng, rdiffDelta, rdiffSignature, runChunks, seededChunks, write } from './support/rsync';

/** Each chunk is one write(), as a socket or a file stream would hand them over. */
function run(job: Job, chunks: Buffer[]): Promise<Buffer> {
  return runChunks(new JobStream(job, true), chunks);
}

/** A file built from a few distinct blocks, repeated and shifted: duplicate matches everywhere. */
function repetitive(rand: (n: number) => number, length: number, blockLength: number): Buffer {
  const alphabet = [Buffer.alloc(blockLength), randomBytesSeeded(blockLength, rand(1e9) + 1), randomBytesSeeded(blockLength, rand(1e9) + 1)];
  const parts: Buffer[] = [];
  let total = 0;
  while (total < length) {
    const pick = rand(10);
    const part = pick < 6 ? alphabet[pick % 3] : pick < 8 ? randomBytesSeeded(1 + rand(3 * blockLength), rand(1e9) + 1) : alphabet[rand(3)].subarray(rand(blockLength));
    parts.push(part);
    total += part.length;
  }
  return Buffer.concat(parts).subarray(0, length);
}

describeWithRdiff('parallel native signature (reference: the linked librsync, and rdiff)', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test.each([0, 1, 63, 64, 65, 4095, 4096, 4097, 20000, 64 * 1000 + 17])('%i bytes, 64-byte blocks, 1 KiB stripes, 1-byte to 3 KiB writes: same bytes as rdiff', async (length) => {
    const data = randomBytesSeeded(length, length + 7);
    const params = resolveSignatureParams({ blockLength: 64, strongLength: 8 });
    const expected = rdiffSignature(write(scratch.path(`b${length}`), data), scratch.path(`b${length}.sig`), { blockLength: 64, strongLength: 8 });
    for (const concurrency of [2, 3]) {
      const got = await run(new ParallelSignatureJob(params, concurrency, { stripe: 1024 }), seededChunks(data, length + concurrency, 3000));
      expect(got.equals(expected)).toBe(true);
    }
  });

  test.each(ALL_MAGICS)('every magic: $hash/$rollsum, default parameters, through signature({ concurrency })', async ({ hash, rollsum }) => {
    const data = randomBytesSeeded(3 << 20, 99);
    const expected = rdiffSignature(write(scratch.path(`m-${hash}-${rollsum}`), data), scratch.path(`m-${hash}-${rollsum}.sig`), { hash, rollsum });
    const stats: unknown[] = [];
    for (const concurrency of [4, 1]) {
      const parts: Buffer[] = [];
      const stream = signature({ hash, rollsum, size: data.length, concurrency });
      await pipeline(Readable.from(seededChunks(data, 5, 70000)), stream, new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }));
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
      stats.push(stream.stats);
    }
    expect(stats[0]).toEqual(stats[1]);
  });
});

describeWithRdiff('parallel native delta (reference: the linked librsync, and rdiff)', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());
  const limit = linkedLiteralLimit();

  async function both(basis: Buffer, next: Buffer, blockLength: number, stripe: number, concurrency: number, seed: number): Promise<{ got: Buffer; expected: Buffer; job: ParallelDeltaJob }> {
    const sigPath = scratch.path(`s${seed}.sig`);
    rdiffSignature(write(scratch.path(`s${seed}.basis`), basis), sigPath, { blockLength, strongLength: 8 });
    const expected = rdiffDelta(sigPath, write(scratch.path(`s${seed}.new`), next), scratch.path(`s${seed}.delta`));
    const set = await loadSignature(sigPath, { backend: 'native' });
    try {
      const job = new ParallelDeltaJob(set.native, concurrency, limit, { stripe });
      const got = await run(job, seededChunks(next, seed, 5000));
      return { got, expected, job };
    } finally {
      set.close();
    }
  }

  test('an edited file with inserts: same bytes as rdiff, no stripe rescanned', async () => {
    const basis = randomBytesSeeded(300000, 3);
    const next = Buffer.concat([basis.subarray(0, 100), Buffer.from('inserted'), basis.subarray(100, 150000), randomBytesSeeded(777, 4), basis.subarray(151000)]);
    const { got, expected, job } = await both(basis, next, 256, 9000, 3, 1);
    expect(got.equals(expected)).toBe(true);
    expect(job.rescans).toBe(0);
  });

  test('an unrelated file: literal runs past the literal limit across stripes', async () => {
    const { got, expected } = await both(randomBytesSeeded(50000, 5), randomBytesSeeded(5 * limit + 321, 6), 512, 7777, 2, 2);
    expect(got.equals(expected)).toBe(true);
  });

  test('zero blocks everywhere: stripes out of step are rescanned, bytes still identical', async () => {
    const basis = Buffer.concat([Buffer.alloc(64 * 40), randomBytesSeeded(640, 8)]);
    const next = Buffer.concat([randomBytesSeeded(13, 9), Buffer.alloc(64 * 500 + 5), randomBytesSeeded(100, 10), Buffer.alloc(64 * 300)]);
    const { got, expected, job } = await both(basis, next, 64, 1000, 3, 3);
    expect(got.equals(expected)).toBe(true);
    expect(job.rescans).toBeGreaterThan(0);
  });

  test('short files, short last blocks, empty input', async () => {
    const basis = randomBytesSeeded(1000, 11); // last block 1000 % 64 = 40 bytes
    for (const [i, next] of [Buffer.alloc(0), basis.subarray(0, 10), basis.subarray(960), basis, Buffer.concat([basis, basis.subarray(960)])].entries()) {
      const { got, expected } = await both(basis, next, 64, 100, 2, 20 + i);
      expect(got.equals(expected)).toBe(true);
    }
  });

  test('200 generated pairs of repetitive files, 1- to 48-byte blocks, tiny stripes, 2-4 items', async () => {
    const rand = prng(12345);
    let rescans = 0;
    for (let seed = 100; seed < 300; seed++) {
      const blockLength = 1 + rand(48);
      const basis = repetitive(rand, 200 + rand(4000), blockLength);
      let next = repetitive(rand, 200 + rand(6000), blockLength);
      if (rand(2)) next = Buffer.concat([next.subarray(0, rand(next.length)), basis, next.subarray(rand(next.length))]);
      const { got, expected, job } = await both(basis, next, blockLength, 20 + rand(400), 2 + rand(3), seed);
      if (!got.equals(expected)) throw new Error(`seed ${seed}, block ${blockLength}: delta differs from rdiff`);
      rescans += job.rescans;
    }
    expect(rescans).toBeGreaterThan(0); // the rescanning path was exercised
  });

  test('through delta({ concurrency }) with Node-sized chunks: same bytes as concurrency 1', async () => {
    const basis = randomBytesSeeded(6 << 20, 30);
    const next = Buffer.from(basis);
    for (let at = 1000; at < next.length; at += 700000) randomBytesSeeded(3000, at).copy(next, at);
    const set = await loadSignature(await run(new ParallelSignatureJob(resolveSignatureParams({ size: basis.length }), 2), [basis]), { backend: 'native' });
    try {
      const outputs: Buffer[] = [];
      const stats: unknown[] = [];
      for (const concurrency of [1, 2, 4]) {
        const parts: Buffer[] = [];
        const stream = delta(set, { concurrency });
        await pipeline(Readable.from(seededChunks(next, 31, 65536)), stream, new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }));
        outputs.push(Buffer.concat(parts));
        stats.push(stream.stats);
      }
      expect(outputs[1].equals(outputs[0])).toBe(true);
      expect(outputs[2].equals(outputs[0])).toBe(true);
      // The same counts as librsync's own job (what `librsync delta -s` prints).
      expect(stats[1]).toEqual(stats[0]);
      expect(stats[2]).toEqual(stats[0]);
    } finally {
      set.close();
    }
  });

  test('closing the SignatureSet while parallel deltas are half way does not disturb them', async () => {
    const basis = randomBytesSeeded(8 << 20, 40);
    const next = Buffer.concat([basis.subarray(0, 3 << 20), randomBytesSeeded(5000, 41), basis.subarray(3 << 20)]);
    const sigPath = write(scratch.path('close.sig'), await run(new ParallelSignatureJob(resolveSignatureParams({ size: basis.length }), 2), [basis]));
    const expected = rdiffDelta(sigPath, write(scratch.path('close.new'), next), scratch.path('close.delta'));
    const set = await loadSignature(sigPath, { backend: 'native' });
    const streams = [0, 1, 2].map(() => delta(set, { concurrency: 2 }));
    const outputs = streams.map(collectOutput);
    streams.forEach((s) => s.write(next.subarray(0, 5 << 20)));
    for (let t = 0; t < 500 && !streams.every((s) => (s.stats?.inBytes ?? 0) > 0); t++) await new Promise((r) => setTimeout(r, 5));
    expect(streams.every((s) => (s.stats?.inBytes ?? 0) > 0)).toBe(true);
    set.close();
    streams.forEach((s) => s.end(next.subarray(5 << 20)));
    for (const out of await Promise.all(outputs)) expect(out.equals(expected)).toBe(true);
  });

  test('the literal limit is the linked librsync\'s', () => {
    expect(limit).toBe(/ 2\.3\.[0-2]\b/.test(nativeBinding().librsyncVersion) ? 32768 : 65533);
  });
});

describeWithRdiff('librsync signature / delta --concurrency (-j)', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test('-j 1, -j 3 and the default write rdiff\'s bytes; -j 0 is a usage error (101)', () => {
    const basis = write(scratch.path('basis'), randomBytesSeeded(5 << 20, 50));
    const next = write(scratch.path('new'), Buffer.concat([randomBytesSeeded(100, 51), randomBytesSeeded(5 << 20, 50)]));
    const sig = rdiffSignature(basis, scratch.path('rdiff.sig'));
    const expected = rdiffDelta(scratch.path('rdiff.sig'), next, scratch.path('rdiff.delta'));
    for (const flags of [['-j', '1'], ['--concurrency', '3'], []]) {
      const tag = flags.join('') || 'default';
      expect(runCli([...flags, 'signature', basis, scratch.path(`${tag}.sig`)], { cwd: scratch.dir }).status).toBe(0);
      expect(readFileSync(scratch.path(`${tag}.sig`)).equals(sig)).toBe(true);
      expect(runCli([...flags, 'delta', scratch.path('rdiff.sig'), next, scratch.path(`${tag}.delta`)], { cwd: scratch.dir }).status).toBe(0);
      expect(readFileSync(scratch.path(`${tag}.delta`)).equals(expected)).toBe(true);
    }
    const bad = runCli(['-j', '0', 'signature', basis, scratch.path('bad.sig')], { cwd: scratch.dir });
    expect(bad.status).toBe(101);
    expect(bad.stderr).toContain("--concurrency must be between 1 and 64: '0'");
  });
});
