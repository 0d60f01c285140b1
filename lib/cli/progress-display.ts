// One self-overwriting progress line on stderr: bytes done, rate and, when
// the total is known, percentage and ETA. Redrawn a few times a second at
// most, and wiped when the phase ends so later messages start clean.
import { Writable } from 'node:stream';
import { formatBytes, formatDuration } from './human-units';

const REDRAW_INTERVAL_MS = 200;

export class ProgressDisplay {
  private readonly started = performance.now();
  private lastDraw = -Infinity;
  private drawnWidth = 0;
  private latest = 0;
  private note = '';

  constructor(
    private readonly out: Writable,
    private readonly label: string,
    private total?: number,
  ) {}

  /** `more.total` replaces the total (an estimate that firmed up); `more.note` is shown first (e.g. "120 files"). */
  update(bytes: number, more: { total?: number; note?: string } = {}): void {
    this.latest = bytes;
    if (more.total !== undefined) this.total = more.total;
    if (more.note !== undefined) this.note = more.note;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.draw(now);
  }

  /** Wipes the line (spaces, not escape codes: stderr may be a file). */
  clear(): void {
    if (this.drawnWidth === 0) return;
    this.out.write(`\r${' '.repeat(this.drawnWidth)}\r`);
    this.drawnWidth = 0;
  }

  private draw(now: number): void {
    const seconds = (now - this.started) / 1000;
    const parts = [`${this.label}: ${this.note ? `${this.note}, ` : ''}${formatBytes(this.latest)}`];
    if (this.total !== undefined) {
      const percent = this.total > 0 ? Math.min(100, (100 * this.latest) / this.total) : 100;
      parts[0] += ` / ${formatBytes(this.total)} (${percent.toFixed(0)}%)`;
    }
    if (seconds > 0.05) {
      const rate = this.latest / seconds;
      parts.push(`${formatBytes(rate)}/s`);
      if (this.total !== undefined && rate > 0 && this.latest < this.total) {
        parts.push(`ETA ${formatDuration((this.total - this.latest) / rate)}`);
      }
    }
    const text = parts.join('  ');
    this.out.write(`\r${text.padEnd(this.drawnWidth)}`);
    this.drawnWidth = Math.max(this.drawnWidth, text.length);
  }
}
