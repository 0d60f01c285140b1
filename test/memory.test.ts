// Memory stays bounded whatever the input size. Each case runs in a fresh
// process, streams generated data (never held in memory) through a job and
// reports its peak RSS growth over the baseline.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeEachBackend } from './support/requirements';

const dist = JSON.stringify(join(__dirname, '..', 'dist', 'index.js'));

function peakGrowthMiB(body: string): number {
  const script = `
    const lib = require(${dist});
    const { Readable, Writable } = require('node:stream');
    const { pipeline } = require('node:stream/promises');
    const { randomFillSync } = require('node:crypto');
    // size bytes of random data, 1 MiB at a time
    const random = (size) => Readable.from((function* () { for (let n = 0; n < size; n += 1 << 20) yield randomFillSync(Buffer.allocUnsafe(Math.min(1 << 20, size - n))); })());
    const sink = () => new Writable({ highWaterMark: 1 << 20, write(c, e, cb) { setImmediate(cb); } });
    (async () => {
      global.gc();
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
      ${body}
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      console.log(JSON.stringify({ growthMiB: (peak - base) / 1048576 }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).growthMiB;
}

describeEachBackend('bounded memory', () => {
  it('delta of 192 MiB of data matching nothing (librsync must not buffer what it is offered)', () => {
    const growth = peakGrowthMiB(`
      const sig = await lib.loadSignature(await lib.signatureBuffer(randomFillSync(Buffer.alloc(1 << 20))));
      const d = lib.delta(sig);
      await pipeline(random(192 << 20), d, sink());
      if (d.stats.literalBytes !== 192 << 20) throw new Error('expected all literal, got ' + JSON.stringify(d.stats));`);
    expect(growth).toBeLessThan(64);
  });

  it('signature of 256 MiB', () => {
    const growth = peakGrowthMiB(`await pipeline(random(256 << 20), lib.signature({ hash: 'md4', rollsum: 'rollsum' }), sink());`);
    expect(growth).toBeLessThan(64);
  });

  it('patch expanding a small delta into 256 MiB (COPY commands) for a slow consumer', () => {
    const growth = peakGrowthMiB(`
      const basis = randomFillSync(Buffer.alloc(4 << 20));
      // 64 x COPY(0, 4 MiB): opcode 0x4f = 4-byte offset, 4-byte length
      const copy = Buffer.from([0x4f, 0, 0, 0, 0, 0, 0x40, 0, 0]);
      const delta = Buffer.concat([Buffer.from('72730236', 'hex'), ...Array(64).fill(copy), Buffer.from([0])]);
      let total = 0;
      await pipeline(Readable.from([delta]), lib.patch(basis), new Writable({ write(c, e, cb) { total += c.length; setTimeout(cb, 1); } }));
      if (total !== 256 << 20) throw new Error('short output ' + total);`);
    expect(growth).toBeLessThan(64);
  });
});
