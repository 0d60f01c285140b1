// Backpressure (a slow reader of a huge patch output must not make the
// stream buffer it all) and concurrency (many deltas sharing one
// SignatureSet, closing the set while they run).
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobStream, SignatureSet, delta, deltaBuffer, loadSignature, patch, patchBuffer, signatureBuffer } from '../lib';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import {
  DELTA_MAGIC_BYTES,
  buildDelta,
  copyCmd,
  collectOutput,
  expectSameBytes,
  expectSyncLibrsyncError,
  literalCmd,
  prng,
  rdiffDelta,
  rdiffSignature,
  runChunks,
  withTimeout,
  write,
} from './support/rsync';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic edits of `basis`: a few replaced, inserted and deleted ranges. */
function edited(basis: Buffer, seed: number): Buffer {
  const r = prng(seed);
  let out = Buffer.from(basis);
  for (let i = 0; i < 6; i++) {
    const at = r(out.length);
    const kind = r(3);
    if (kind === 0) randomBytesSeeded(1 + r(3000), seed * 10 + i).copy(out, at);
    else if (kind === 1) out = Buffer.concat([out.subarray(0, at), randomBytesSeeded(1 + r(5000), seed * 10 + i), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + r(8000))]);
  }
  return out;
}

describeEachBackendWithRdiff('backpressure and concurrency', () => {
  const scratch = scratchDir('librsync-concurrency-');
  afterAll(() => scratch.remove());

  describe('a slow consumer of a patch that expands a lot', () => {
    const BOUND = 4 << 20; // buffered output allowed on the readable side (vs 64 MiB produced)

    async function slowConsume(s: JobStream, expectedHash: string, expectedLength: number): Promise<number> {
      let maxBuffered = 0;
      let total = 0;
      let n = 0;
      const hash = createHash('sha256');
      const sink = new Writable({
        highWaterMark: 16 << 10,
        write(chunk: Buffer, _enc, cb) {
          maxBuffered = Math.max(maxBuffered, s.readableLength);
          hash.update(chunk);
          total += chunk.length;
          if (++n % 4 === 0) setTimeout(cb, 1);
          else setImmediate(cb);
        },
      });
      await withTimeout(pipeline(s, sink), 60_000, 'slow consumer');
      expect(total).toBe(expectedLength);
      expect(hash.digest('hex')).toBe(expectedHash);
      return maxBuffered;
    }

    function repeatedHash(basis: Buffer, times: number): string {
      const h = createHash('sha256');
      for (let i = 0; i < times; i++) h.update(basis);
      return h.digest('hex');
    }

    it('8 MiB Buffer basis copied 8 times (64 MiB): paused, then read slowly', async () => {
      const basis = randomBytesSeeded(8 << 20, 71);
      const d = buildDelta(...Array.from({ length: 8 }, () => copyCmd(0, basis.length)));
      const s = patch(basis);
      s.end(d);
      // Nobody reads for a while: the job must stop once the readable side is full.
      await sleep(300);
      expect(s.readableLength).toBeLessThanOrEqual(BOUND);
      expect(s.stats!.outBytes).toBeLessThanOrEqual(BOUND);
      const maxBuffered = await slowConsume(s, repeatedHash(basis, 8), 64 << 20);
      expect(maxBuffered).toBeLessThanOrEqual(BOUND);
      expect(s.stats!.outBytes).toBe(64 << 20);
    });

    it('4 MiB file basis copied 12 times with small output buffers and a small readable highWaterMark', async () => {
      const basis = randomBytesSeeded(4 << 20, 72);
      const basisPath = write(scratch.path('bp-basis'), basis);
      const d = buildDelta(...Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? literalCmd(Buffer.from('sep')) : copyCmd(0, basis.length))));
      const s = patch(basisPath, { outputChunkSize: 64 << 10, readableHighWaterMark: 16 << 10 });
      s.end(d);
      await sleep(200);
      expect(s.readableLength).toBeLessThanOrEqual(512 << 10);
      expect(s.stats!.outBytes).toBeLessThanOrEqual(512 << 10);
      const h = createHash('sha256');
      let length = 0;
      for (let i = 0; i < 12; i++) {
        const piece = i % 3 === 1 ? Buffer.from('sep') : basis;
        h.update(piece);
        length += piece.length;
      }
      const maxBuffered = await slowConsume(s, h.digest('hex'), length);
      expect(maxBuffered).toBeLessThanOrEqual(512 << 10);
    });
  });

  it('nobody reads, and the input has all been written and ended: still no more than one step past the high-water mark', async () => {
    // Node's Transform asks for the next write regardless of the readable
    // side once end() was called ("backwards compat"), so the stream must
    // hold back by itself. Found by the soak (soak-streams.test.ts). Each
    // write here is a literal and a COPY that a step works through whole,
    // 964 KiB of output per 64 KiB write.
    const basis = randomBytesSeeded(1 << 20, 73);
    const piece = Buffer.concat([literalCmd(randomBytesSeeded(64 << 10, 74)), copyCmd(0, 900 << 10)]);
    const pieces = [Buffer.concat([DELTA_MAGIC_BYTES, piece]), ...Array.from({ length: 15 }, () => piece), Buffer.from([0])];
    const hwm = 64 << 10;
    const s = patch(basis, { readableHighWaterMark: hwm });
    for (const p of pieces) s.write(p);
    s.end();
    await sleep(300);
    expect(s.readableLength).toBeLessThanOrEqual(hwm + (1 << 20)); // high-water mark + one step's output
    let total = 0;
    await withTimeout(
      (async () => {
        for await (const chunk of s) total += (chunk as Buffer).length;
      })(),
      20_000,
      'draining',
    );
    expect(total).toBe(16 * (964 << 10));
  });

  describe('many deltas sharing one SignatureSet', () => {
    const basis = randomBytesSeeded(2 << 20, 81);
    const news = Array.from({ length: 12 }, (_, i) => edited(basis, 100 + i));
    let sigPath: string;
    let expected: Buffer[];
    let set: SignatureSet;
    beforeAll(async () => {
      const basisPath = write(scratch.path('shared-basis'), basis);
      sigPath = scratch.path('shared.sig');
      rdiffSignature(basisPath, sigPath, { blockLength: 2048 });
      expected = news.map((n, i) => rdiffDelta(sigPath, write(scratch.path(`shared-new-${i}`), n), scratch.path(`shared-${i}.delta`)));
      set = await loadSignature(sigPath);
    });
    afterAll(() => set?.close());

    it('12 concurrent deltaBuffer calls equal the sequential results and rdiff', async () => {
      const sequential: Buffer[] = [];
      for (const n of news) sequential.push(await deltaBuffer(set, n));
      const concurrent = await withTimeout(Promise.all(news.map((n) => deltaBuffer(set, n))), 60_000, 'concurrent deltas');
      for (let i = 0; i < news.length; i++) {
        expectSameBytes(sequential[i], expected[i], `sequential delta ${i}`);
        expectSameBytes(concurrent[i], expected[i], `concurrent delta ${i}`);
      }
      expect(set.closed).toBe(false); // deltaBuffer does not close a set it was given
    });

    it('16 concurrent delta() streams fed in interleaved chunks', async () => {
      const streams = news.concat(news.slice(0, 4)).map(() => delta(set, { inputChunkSize: 64 << 10 }));
      const inputs = news.concat(news.slice(0, 4));
      const outs = await withTimeout(
        Promise.all(streams.map((s, i) => runChunks(s, Array.from({ length: 8 }, (_, k) => inputs[i].subarray((k * inputs[i].length) >> 3, ((k + 1) * inputs[i].length) >> 3))))),
        60_000,
        'delta streams',
      );
      outs.forEach((o, i) => expectSameBytes(o, expected[i % 12], `stream ${i}`));
    });

    it('closing the set while 8 deltas are running does not disturb them', async () => {
      const own = await loadSignature(sigPath);
      // Steps of 64 KiB, serial: each job starts on the first half alone (the
      // parallel delta's own test is in parallel-jobs.test.ts).
      const streams = news.slice(0, 8).map(() => delta(own, { inputChunkSize: 64 << 10, concurrency: 1 }));
      const outputs = streams.map(collectOutput);
      // First half of every input, and wait until every job has consumed some of it.
      streams.forEach((s, i) => s.write(news[i].subarray(0, news[i].length >> 1)));
      for (let t = 0; t < 500 && !streams.every((s) => (s.stats?.inBytes ?? 0) > 0); t++) await sleep(5);
      expect(streams.every((s) => (s.stats?.inBytes ?? 0) > 0)).toBe(true);

      own.close();
      expect(own.closed).toBe(true);
      expectSyncLibrsyncError(() => delta(own), 'RS_PARAM_ERROR');

      streams.forEach((s, i) => s.end(news[i].subarray(news[i].length >> 1)));
      const results = await withTimeout(Promise.all(outputs), 60_000, 'deltas after close');
      results.forEach((r, i) => expectSameBytes(r, expected[i], `delta ${i} after close`));
    });

    it('closing the set right after delta() returned (before any input) does not break that stream', async () => {
      const own = await loadSignature(sigPath);
      const streams = news.slice(0, 4).map(() => delta(own));
      own.close(); // e.g. `using set = ...` going out of scope after the streams were made
      const results = await withTimeout(Promise.all(streams.map((s, i) => runChunks(s, [news[i]]))), 60_000, 'deltas');
      results.forEach((r, i) => expectSameBytes(r, expected[i], `delta ${i}`));
    });
  });

  it('mixed signature, delta and patch jobs in parallel', async () => {
    const basis = randomBytesSeeded(1 << 20, 91);
    const newer = edited(basis, 92);
    const sig = await signatureBuffer(basis, { blockLength: 512 });
    const d = await deltaBuffer(sig, newer);
    const basisPath = write(scratch.path('mixed-basis'), basis);
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) {
      jobs.push(signatureBuffer(basis, { blockLength: 512 }).then((s) => expectSameBytes(s, sig, `signature ${i}`)));
      jobs.push(deltaBuffer(sig, newer).then((x) => expectSameBytes(x, d, `delta ${i}`)));
      jobs.push(patchBuffer(i % 2 ? basis : basisPath, d).then((x) => expectSameBytes(x, newer, `patch ${i}`)));
      jobs.push(
        (async () => {
          const fd = openSync(basisPath, 'r');
          try {
            expectSameBytes(await runChunks(patch(fd), [d]), newer, `patch fd ${i}`);
          } finally {
            closeSync(fd);
          }
        })(),
      );
    }
    await withTimeout(Promise.all(jobs), 60_000, 'mixed jobs');
  });
});
