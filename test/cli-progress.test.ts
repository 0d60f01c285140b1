// The progress line's rate and ETA on a simulated clock: no ETA before a
// few seconds of data, a rate counted from when the data began (not from
// a long manifest check before it), and one smoothed over bursts and
// stalls, so the ETA does not swing.
import { Writable } from 'node:stream';
import { ETA_AFTER_SECONDS, ProgressDisplay } from '../lib/cli/progress-display';

const MiB = 1 << 20;

/** A display on a clock the test moves; `lines` are the texts drawn, in order. */
function simulated(total: number): { display: ProgressDisplay; lines: string[]; at: (ms: number) => void } {
  let now = 0;
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString().replace(/^\r/, '').trimEnd();
      if (text) lines.push(text);
      callback();
    },
  });
  const display = new ProgressDisplay(out, 'restore', total, { now: () => now });
  return { display, lines, at: (ms) => (now = ms) };
}

function etaSeconds(line: string): number | undefined {
  const m = /ETA (?:(\d+):)?(\d+):(\d+)$/.exec(line);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

describe('progress line', () => {
  test('after a 5 s manifest check, a steady 10 MiB/s: rate and ETA are right, and the ETA waits for 3 s of data', () => {
    const total = 200 * MiB;
    const { display, lines, at } = simulated(total);
    // The manifest pass: updates with nothing written yet.
    for (let t = 0; t <= 5000; t += 100) {
      at(t);
      display.update(0);
    }
    const etas: { dataSeconds: number; eta?: number; line: string }[] = [];
    for (let t = 5100; t <= 15000; t += 100) {
      at(t);
      const before = lines.length;
      display.update(((t - 5000) / 1000) * 10 * MiB);
      if (lines.length > before) etas.push({ dataSeconds: (t - 5000) / 1000, eta: etaSeconds(lines[lines.length - 1]), line: lines[lines.length - 1] });
    }
    expect(etas.filter((e) => e.dataSeconds < ETA_AFTER_SECONDS).every((e) => e.eta === undefined)).toBe(true);
    const shown = etas.filter((e) => e.eta !== undefined);
    expect(shown[0].dataSeconds).toBeGreaterThanOrEqual(ETA_AFTER_SECONDS);
    expect(shown[0].dataSeconds).toBeLessThan(ETA_AFTER_SECONDS + 0.5);
    for (const e of shown) {
      const truth = 20 - e.dataSeconds;
      expect(Math.abs(e.eta! - truth)).toBeLessThanOrEqual(1.5);
    }
    // The rate shown is the rate of the data, not averaged over the wait before it.
    expect(etas[0].line).toMatch(/  10\.0 MiB\/s$/);
  });

  test('bursts and stalls: the ETA stays near the truth instead of swinging with each moment', () => {
    const total = 300 * MiB;
    const { display, lines, at } = simulated(total);
    let bytes = 0;
    // 10 MiB/s on average: a fast 200 ms, then a stalled 200 ms, in turn.
    for (let t = 0; t <= 20000; t += 100) {
      at(t);
      if (Math.floor(t / 200) % 2 === 0) bytes += 2 * MiB;
      display.update(bytes);
    }
    const etas = lines.map(etaSeconds).filter((e): e is number => e !== undefined);
    expect(etas.length).toBeGreaterThan(50);
    // Each ETA against the average speed's answer at that point (drawn every 200 ms from the first data).
    const truthAt = (i: number): number => 30 - (ETA_AFTER_SECONDS + 0.2 * i);
    const worst = Math.max(...etas.map((e, i) => Math.abs(e - truthAt(i)) / truthAt(i)));
    expect(worst).toBeLessThan(0.35);
    // Consecutive ETAs never jump by more than a few seconds.
    for (let i = 1; i < etas.length; i++) expect(Math.abs(etas[i] - etas[i - 1])).toBeLessThanOrEqual(3);
  });

  test('no rate or ETA before any byte; a line per 200 ms at most; cleared with spaces', () => {
    const chunks: string[] = [];
    let now = 0;
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const display = new ProgressDisplay(out, 'verify', 100, { now: () => now });
    display.update(0, { note: '0 stored pieces' });
    now = 100;
    display.update(0);
    now = 250;
    display.update(0);
    expect(chunks).toEqual(['\rverify: 0 stored pieces, 0 B / 100 B (0%)', '\rverify: 0 stored pieces, 0 B / 100 B (0%)']);
    display.clear();
    expect(chunks[chunks.length - 1]).toBe(`\r${' '.repeat('verify: 0 stored pieces, 0 B / 100 B (0%)'.length)}\r`);
  });
});
