// One self-overwriting progress line on stderr: bytes done, rate and, when
// the total is known, percentage and ETA. Redrawn a few times a second at
// most, and wiped when the phase ends so later messages start clean.
//
// The rate is counted from when the data began, not from the start (a
// restore first checks its whole manifest, which can take a while), and
// smoothed: an average over the redraws in which older ones fade, so one
// fast or stalled moment does not swing it. The ETA appears only once a
// few seconds of data have been seen.
import { Writable } from 'node:stream';
import { formatBytes, formatDuration } from './human-units';

const REDRAW_INTERVAL_MS = 200;
/** Seconds of data before an ETA is shown. */
export const ETA_AFTER_SECONDS = 3;
/** How quickly the smoothed rate follows a change of speed: about 63% of the way in this many seconds. */
const RATE_TIME_CONSTANT_SECONDS = 5;

export interface ProgressClock {
  /** Milliseconds, monotonic. */
  now(): number;
}

const PERFORMANCE_CLOCK: ProgressClock = { now: () => performance.now() };

export class ProgressDisplay {
  private lastDraw = -Infinity;
  private drawnWidth = 0;
  private latest = 0;
  private note = '';
  private readonly started: number;
  /** The last time no byte had been done yet: the data began after it. */
  private idleUntil?: number;
  /** When the data began, and the last sample the rate was updated from. */
  private firstData?: number;
  private sample?: { at: number; bytes: number };
  /** Exponential moving average of the rate, and the weight it has gathered (to correct its start from 0). */
  private average = 0;
  private averageWeight = 0;
  private rate?: number;

  constructor(
    private readonly out: Writable,
    private readonly label: string,
    private total?: number,
    private readonly clock: ProgressClock = PERFORMANCE_CLOCK,
  ) {
    this.started = clock.now();
  }

  /** `more.total` replaces the total (an estimate that firmed up); `more.note` is shown first (e.g. "120 files"). */
  update(bytes: number, more: { total?: number; note?: string } = {}): void {
    this.latest = bytes;
    if (more.total !== undefined) this.total = more.total;
    if (more.note !== undefined) this.note = more.note;
    const now = this.clock.now();
    if (bytes === 0) this.idleUntil = now;
    if (now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.updateRate(now);
    this.draw(now);
  }

  /** Wipes the line (spaces, not escape codes: stderr may be a file). */
  clear(): void {
    if (this.drawnWidth === 0) return;
    this.out.write(`\r${' '.repeat(this.drawnWidth)}\r`);
    this.drawnWidth = 0;
  }

  private updateRate(now: number): void {
    if (this.latest === 0) return;
    if (this.firstData === undefined) {
      this.firstData = this.idleUntil ?? this.started;
      this.sample = { at: this.firstData, bytes: 0 };
    }
    const seconds = (now - this.sample!.at) / 1000;
    if (seconds <= 0) return;
    const current = Math.max(0, this.latest - this.sample!.bytes) / seconds;
    // Each stretch weighs by its length and fades with age; dividing by the weight gathered makes
    // the first seconds an ordinary average instead of a pull towards the starting value.
    const weight = 1 - Math.exp(-seconds / RATE_TIME_CONSTANT_SECONDS);
    this.average += weight * (current - this.average);
    this.averageWeight += weight * (1 - this.averageWeight);
    this.rate = this.average / this.averageWeight;
    this.sample = { at: now, bytes: this.latest };
  }

  private draw(now: number): void {
    const parts = [`${this.label}: ${this.note ? `${this.note}, ` : ''}${formatBytes(this.latest)}`];
    if (this.total !== undefined) {
      const percent = this.total > 0 ? Math.min(100, (100 * this.latest) / this.total) : 100;
      parts[0] += ` / ${formatBytes(this.total)} (${percent.toFixed(0)}%)`;
    }
    if (this.rate !== undefined) {
      parts.push(`${formatBytes(this.rate)}/s`);
      const settled = this.firstData !== undefined && now - this.firstData >= ETA_AFTER_SECONDS * 1000;
      if (settled && this.total !== undefined && this.rate > 0 && this.latest < this.total) {
        parts.push(`ETA ${formatDuration((this.total - this.latest) / this.rate)}`);
      }
    }
    const text = parts.join('  ');
    this.out.write(`\r${text.padEnd(this.drawnWidth)}`);
    this.drawnWidth = Math.max(this.drawnWidth, text.length);
  }
}
