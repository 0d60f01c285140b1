// Destroying streams mid-way and aborting through AbortSignal end cleanly
// (no crash, no hang, no leaked descriptors), and the process keeps
// working afterwards.
import { once } from 'node:events';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { delta, deltaBuffer, loadSignature, patch, patchBuffer, signature, signatureBuffer } from '../lib';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import { buildDelta, copyCmd, expectSameBytes, rdiffDelta, rdiffPatch, rdiffSignature, runChunks, seededChunks, withTimeout, write } from './support/rsync';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

describeEachBackendWithRdiff('destroy and abort', () => {
  const scratch = scratchDir('librsync-lifecycle-');
  afterAll(() => scratch.remove());
  let counter = 0;

  /** Full signature → delta → patch round trip checked against rdiff: the process is healthy. */
  async function healthCheck(seed: number): Promise<void> {
    const id = counter++;
    const basis = randomBytesSeeded(600_000, seed);
    const newer = Buffer.concat([basis.subarray(1000, 300_000), randomBytesSeeded(5000, seed + 1), basis.subarray(310_000)]);
    const basisPath = write(scratch.path(`h-basis-${id}`), basis);
    const newPath = write(scratch.path(`h-new-${id}`), newer);
    const sigPath = scratch.path(`h-${id}.sig`);
    const sig = rdiffSignature(basisPath, sigPath);
    const d = rdiffDelta(sigPath, newPath, scratch.path(`h-${id}.delta`));
    const [ourSig, ourDelta, ourPatch] = await withTimeout(
      Promise.all([signatureBuffer(basis), deltaBuffer(sig, newer), patchBuffer(basisPath, d)]),
      30_000,
      'health check',
    );
    expectSameBytes(ourSig, sig, 'signature');
    expectSameBytes(ourDelta, d, 'delta');
    expectSameBytes(ourPatch, newer, 'patch');
    expectSameBytes(rdiffPatch(basisPath, write(scratch.path(`h-ours-${id}.delta`), ourDelta), scratch.path(`h-out-${id}`)), newer, 'rdiff patch');
  }

  const bigBasis = randomBytesSeeded(4 << 20, 5);
  const bigBasisPath = write(scratch.path('big-basis'), bigBasis);
  const bomb = buildDelta(...Array.from({ length: 16 }, () => copyCmd(0, bigBasis.length)));

  it('patch stream destroyed after its first output chunk: closes without error', async () => {
    for (const basis of [bigBasis, bigBasisPath]) {
      const s = patch(basis);
      const errors: Error[] = [];
      s.on('error', (e) => errors.push(e));
      let chunks = 0;
      s.on('data', () => {
        chunks++;
        s.destroy();
      });
      s.end(bomb);
      await withTimeout(once(s, 'close'), 10_000, 'close after destroy');
      expect(s.destroyed).toBe(true);
      expect(errors).toEqual([]);
      expect(chunks).toBe(1);
      await sleep(50); // a step that was in flight comes back to a destroyed stream
      expect(errors).toEqual([]);
    }
    await healthCheck(1);
  });

  it('destroy(err) in the middle of a pipeline rejects it with that error', async () => {
    const s = patch(bigBasis);
    let seen = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        seen += chunk.length;
        if (seen > 3 << 20) s.destroy(new Error('consumer gave up'));
        cb();
      },
    });
    await expect(withTimeout(pipeline(Readable.from([bomb]), s, sink), 10_000, 'pipeline')).rejects.toThrow('consumer gave up');
    expect(seen).toBeLessThan(64 << 20);
    await healthCheck(2);
  });

  it('AbortController aborts a large signature mid-way', async () => {
    const data = randomBytesSeeded(32 << 20, 6);
    const ac = new AbortController();
    const s = signature({ signal: ac.signal, blockLength: 64 });
    s.once('data', () => ac.abort());
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const err = await withTimeout(pipeline(Readable.from(seededChunks(data, 1, 1 << 20)), s, sink), 20_000, 'aborted signature').catch((e: Error) => e);
    expect((err as Error).name).toBe('AbortError'); // (Node's AbortError is from another realm than jest's Error)
    expect(s.destroyed).toBe(true);
    expect(s.stats?.inBytes ?? 0).toBeLessThan(data.length);
    await healthCheck(3);
  });

  it('AbortController aborted from a data handler while a write is being worked through in several steps', async () => {
    const data = randomBytesSeeded(8 << 20, 6);
    const ac = new AbortController();
    // 64 KiB steps over a 4 MiB write: more steps follow the one whose output triggers
    // the abort (serial: a parallel job takes several stripes per step).
    const s = signature({ signal: ac.signal, blockLength: 16, inputChunkSize: 64 << 10, outputChunkSize: 16 << 10, concurrency: 1 });
    s.once('data', () => ac.abort());
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const err = await withTimeout(pipeline(Readable.from([data.subarray(0, 4 << 20), data.subarray(4 << 20)]), s, sink), 20_000, 'aborted signature').catch((e: Error) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(s.stats?.inBytes ?? 0).toBeLessThan(data.length);
    await sleep(50);
    await healthCheck(30);
  });

  it('AbortSignal on the promise helpers: mid-way and already aborted', async () => {
    const data = randomBytesSeeded(16 << 20, 7);
    const ac = new AbortController();
    const p = signatureBuffer(data, { signal: ac.signal, blockLength: 32 });
    setTimeout(() => ac.abort(), 10);
    await expect(withTimeout(p, 20_000, 'signatureBuffer')).rejects.toMatchObject({ name: 'AbortError' });

    const aborted = AbortSignal.abort();
    const sig = await signatureBuffer(data.subarray(0, 100_000));
    await expect(signatureBuffer(data, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(deltaBuffer(sig, data, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(patchBuffer(bigBasis, bomb, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(loadSignature(sig, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });

    const ac2 = new AbortController();
    const p2 = patchBuffer(bigBasisPath, bomb, { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 10);
    await expect(withTimeout(p2, 20_000, 'patchBuffer')).rejects.toMatchObject({ name: 'AbortError' });
    await healthCheck(4);
  });

  it('delta stream and loadSignature stream destroyed mid-way', async () => {
    const basis = randomBytesSeeded(3 << 20, 8);
    const sig = await signatureBuffer(basis, { blockLength: 64 });
    const set = await loadSignature(sig);
    const d = delta(set);
    const errors: Error[] = [];
    d.on('error', (e) => errors.push(e));
    d.write(basis.subarray(0, 1 << 20));
    await sleep(5);
    d.destroy();
    await withTimeout(once(d, 'close'), 10_000, 'delta close');
    expect(errors).toEqual([]);
    set.close();

    const ac = new AbortController();
    const source = Readable.from(seededChunks(sig, 3, 64 << 10));
    let fed = 0;
    source.on('data', (c: Buffer) => {
      fed += c.length;
      if (fed > sig.length / 3) ac.abort();
    });
    await expect(withTimeout(loadSignature(source, { signal: ac.signal }), 20_000, 'loadSignature')).rejects.toMatchObject({ name: 'AbortError' });
    await healthCheck(5);
  });

  it('50 streams destroyed while a step is in flight, then no leaked descriptors', async () => {
    await healthCheck(6); // warm up lazily opened descriptors
    await sleep(50);
    const before = openFdCount();
    const input = randomBytesSeeded(2 << 20, 9);
    for (let i = 0; i < 50; i++) {
      const kind = i % 3;
      const s = kind === 0 ? signature({ blockLength: 16 }) : kind === 1 ? patch(bigBasisPath) : patch(bigBasis);
      s.on('error', () => undefined);
      if (kind === 0) s.write(input);
      else s.write(bomb);
      s.resume();
      await new Promise((r) => setImmediate(r));
      s.destroy();
      if (i % 10 === 0) await once(s, 'close');
    }
    await sleep(200); // in-flight steps come back, deferred closes run
    expect(openFdCount()).toBeLessThanOrEqual(before + 2);
    await healthCheck(7);
  });

  it('a stream destroyed before it is used, and one abandoned without end(), do not hang the process', async () => {
    const s1 = patch(bigBasisPath);
    s1.destroy();
    await withTimeout(once(s1, 'close'), 5000, 'close');
    const s2 = signature();
    s2.write(randomBytesSeeded(1000, 10));
    // never ended, just dropped: must not keep anything from working.
    await healthCheck(8);
  });

  it('a stream destroyed as soon as it is made, then given to pipeline(): the pipeline rejects (premature close), it does not hang', async () => {
    // Node's pipeline() never settles for a stream destroyed while its
    // _construct() is pending (finished() takes it for cleanly ended on
    // one side). Found by the soak (test/soak-streams.test.ts).
    const sig = await signatureBuffer(bigBasis.subarray(0, 100_000));
    const set = await loadSignature(sig);
    const fd = openSync(bigBasisPath, 'r');
    try {
      const makers: [string, () => ReturnType<typeof patch>][] = [
        ['signature', () => signature()],
        ['delta', () => delta(set)],
        ['patch (Buffer basis)', () => patch(bigBasis)],
        ['patch (path basis)', () => patch(bigBasisPath)],
        ['patch (descriptor basis)', () => patch(fd)],
        ['patch (missing basis file)', () => patch(scratch.path('no-such-basis'))],
      ];
      for (const [name, make] of makers) {
        const s = make();
        const emitted: Error[] = [];
        s.on('error', (e) => emitted.push(e));
        s.destroy();
        const sink = new Writable({ write: (_c, _e, cb) => cb() });
        const err = await withTimeout(pipeline(Readable.from([bomb]), s, sink), 5000, `pipeline of a destroyed ${name} stream`).then(
          () => undefined,
          (e: NodeJS.ErrnoException) => e,
        );
        expect([name, err?.code ?? err?.message]).toEqual([name, 'ERR_STREAM_PREMATURE_CLOSE']);
        expect([name, emitted]).toEqual([name, []]); // destroy() without an error: none emitted, not even ENOENT
      }
    } finally {
      closeSync(fd);
      set.close();
    }
    await healthCheck(14);
  });

  it('many parallel round trips after all that', async () => {
    await Promise.all([9, 10, 11, 12].map((seed) => healthCheck(seed)));
    const data = randomBytesSeeded(50_000, 13);
    expectSameBytes(await runChunks(signature({ blockLength: 100, size: data.length }), [data]), await signatureBuffer(data, { blockLength: 100 }), 'signature');
  });
});
