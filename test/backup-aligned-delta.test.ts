// Signature against signature (lib/backup/aligned-delta.ts): blocks found
// unchanged at their place become COPYs without a rolling search, the
// rest goes through delta(). Every delta is applied by rdiff itself and
// must rebuild the new file exactly; the signature must be rdiff's.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadSignature, signatureBuffer } from '../lib';
import { AlignedDelta } from '../lib/backup/aligned-delta';
import { backup, restore } from '../lib/backup';
import { randomBytesSeeded, readBytes, scratchDir } from './support/files';
import { describeEachBackendWithRdiff } from './support/requirements';
import { collectOutput, expectSameBytes, rdiffPatch, rdiffSignature, seededChunks, write } from './support/rsync';
import { mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';

const BL = 1024;

interface Outcome {
  aligned: number;
  searched: number;
  copyBytes: number;
  delta: Buffer;
}

describeEachBackendWithRdiff('aligned delta', () => {
  const scratch = scratchDir('librsync-aligned-');
  afterAll(() => scratch.remove());
  let counter = 0;

  /** Runs the stage over `next` against `old`'s signature; checks the signature against rdiff's and the delta through rdiff patch. */
  async function run(old: Buffer, next: Buffer, options: { stepBytes?: number; strongLength?: number; seed?: number } = {}): Promise<Outcome> {
    const id = counter++;
    const oldSig = await signatureBuffer(old, { blockLength: BL, ...(options.strongLength && { strongLength: options.strongLength }) });
    const set = await loadSignature(oldSig);
    try {
      const stage = new AlignedDelta({ blockLength: BL, size: next.length, basis: set, basisBytes: oldSig, streamOptions: {}, stepBytes: options.stepBytes ?? 8 * BL });
      const [, sig, delta] = await Promise.all([
        pipeline(Readable.from(seededChunks(next, options.seed ?? id + 1, 3000)), stage),
        collectOutput(stage.signatureOutput as never),
        collectOutput(stage.deltaOutput as never),
      ]);
      const newPath = write(scratch.path(`new-${id}`), next);
      expectSameBytes(sig, rdiffSignature(newPath, scratch.path(`new-${id}.sig`), { blockLength: BL }), 'signature');
      const rebuilt = rdiffPatch(write(scratch.path(`old-${id}`), old), write(scratch.path(`delta-${id}`), delta), scratch.path(`out-${id}`));
      expectSameBytes(rebuilt, next, 'patched file');
      return { aligned: stage.alignedBlocks, searched: stage.searchedBytes, copyBytes: stage.copyBytes, delta };
    } finally {
      set.close();
    }
  }

  const old = randomBytesSeeded(200 * BL, 7);

  it('in-place edits: only the edited blocks are searched, the rest copied', async () => {
    const next = Buffer.from(old);
    for (const at of [3 * BL + 10, 50 * BL + 1000, 51 * BL, 199 * BL + 5]) randomBytesSeeded(30, at).copy(next, at);
    const r = await run(old, next);
    expect(r.aligned).toBe(196);
    expect(r.searched).toBe(4 * BL);
    expect(r.copyBytes).toBe(196 * BL);
    expect(r.delta.length).toBeLessThan(4 * BL + 100);
  });

  it('an unchanged file is one COPY', async () => {
    const r = await run(old, old);
    expect(r.aligned).toBe(200);
    expect(r.searched).toBe(0);
    expect(r.delta.length).toBeLessThanOrEqual(4 + 1 + 2 + 4 + 1);
  });

  it('an insert near the start: the rolling search still finds the shifted blocks', async () => {
    const next = Buffer.concat([old.subarray(0, 10), randomBytesSeeded(100, 3), old.subarray(10)]);
    const r = await run(old, next);
    expect(r.aligned).toBe(0);
    expect(r.searched).toBe(next.length);
    expect(r.copyBytes).toBeGreaterThanOrEqual(198 * BL);
  });

  it('an insert in the middle: blocks before it aligned, after it searched', async () => {
    const next = Buffer.concat([old.subarray(0, 100 * BL + 300), randomBytesSeeded(5000, 4), old.subarray(100 * BL + 300)]);
    const r = await run(old, next);
    expect(r.aligned).toBe(100);
    expect(r.searched).toBe(next.length - 100 * BL);
    expect(r.copyBytes).toBeGreaterThanOrEqual(197 * BL);
  });

  it('an append and a short last block', async () => {
    const next = Buffer.concat([old, randomBytesSeeded(2500, 5)]);
    const r = await run(old, next);
    expect(r.aligned).toBe(200);
    expect(r.searched).toBe(2500);
    const shortOld = old.subarray(0, 120 * BL + 77);
    const grown = Buffer.concat([shortOld, randomBytesSeeded(3 * BL, 6)]);
    const g = await run(shortOld, grown);
    expect(g.aligned).toBe(120);
    expect(g.searched).toBe(grown.length - 120 * BL);
    // The same short last block at the same place is aligned too.
    const same = await run(shortOld, Buffer.from(shortOld));
    expect(same.aligned).toBe(121);
    expect(same.copyBytes).toBe(shortOld.length);
  });

  it('truncation: whole blocks aligned, the cut block searched', async () => {
    const next = old.subarray(0, 150 * BL + 512);
    const r = await run(old, next);
    expect(r.aligned).toBe(150);
    expect(r.searched).toBe(512);
    expect((await run(old, old.subarray(0, 0))).delta).toEqual(Buffer.from([0x72, 0x73, 0x02, 0x36, 0]));
  });

  it('shuffled blocks: fixed points aligned, the others found by the search, no literal', async () => {
    const order = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? i : 199 - i));
    const next = Buffer.concat(order.map((b) => old.subarray(b * BL, (b + 1) * BL)));
    const r = await run(old, next, { stepBytes: 16 * BL });
    const fixed = order.filter((b, i) => b === i).length;
    expect(r.aligned).toBe(fixed);
    expect(r.copyBytes).toBe(200 * BL);
  });

  it('steps of one block and of the whole file give the same delta', async () => {
    const next = Buffer.from(old);
    for (let b = 0; b < 200; b += 7) next[b * BL + 3] ^= 0xff;
    const a = await run(old, next, { stepBytes: BL });
    const b = await run(old, next, { stepBytes: 1 << 30 });
    expectSameBytes(a.delta, b.delta, 'delta');
    expect(a.aligned).toBe(200 - 29);
  });

  it('a previous signature with other sums is not compared, only searched', async () => {
    const next = Buffer.from(old);
    next[5] ^= 1;
    const r = await run(old, next, { strongLength: 16 });
    expect(r.aligned).toBe(0);
    expect(r.searched).toBe(next.length);
    expect(r.copyBytes).toBeGreaterThanOrEqual(199 * BL);
    const empty = await run(Buffer.alloc(0), next);
    expect(empty.aligned).toBe(0);
    expect(empty.copyBytes).toBe(0);
  });
});

describeEachBackendWithRdiff('backups of files edited in place', () => {
  const scratch = scratchDir('librsync-aligned-backup-');
  afterAll(() => scratch.remove());

  it('store only the edited blocks and restore every level exactly', async () => {
    const src = scratch.path('src');
    const store = scratch.path('store');
    mkdirSync(src);
    const image = randomBytesSeeded(8 << 20, 11);
    writeFileSync(`${src}/image`, image);
    const versions = [Buffer.from(image)];
    await backup(src, store, { name: 't' });
    for (let level = 1; level <= 3; level++) {
      const fd = openSync(`${src}/image`, 'r+');
      const current = Buffer.from(versions[versions.length - 1]);
      for (let i = 0; i < 5; i++) {
        const at = ((level * 7919 + i * 104729) * 4096) % (current.length - 4096);
        const bytes = randomBytesSeeded(4096, level * 10 + i);
        bytes.copy(current, at);
        writeSync(fd, bytes, 0, 4096, at);
      }
      closeSync(fd);
      versions.push(current);
      const r = await backup(src, store, { name: 't' });
      expect(r.level).toBe(level);
      // At most two 64 KiB blocks per write (one straddling a block edge), before compression.
      expect(r.counts.bytesStored).toBeLessThan(10 * 65536 + 8192);
    }
    for (let level = 0; level <= 3; level++) {
      const out = scratch.path(`out-${level}`);
      await restore(store, out, { level });
      expectSameBytes(readBytes(`${out}/image`), versions[level], `level ${level}`);
    }
  });
});
