// Turns a sequence of scan decisions (unmatched bytes, matched blocks)
// into delta commands exactly as librsync's delta.c groups them: a match
// that continues the pending COPY in the basis extends it; a miss flushes
// a pending COPY, and a pending literal is written once it has reached the
// linked librsync's limit and another miss comes.
import { JobStats } from './job';
import { OP_END, writeCopy, writeLiteral } from './js/delta-encoder';
import { OutputTube } from './js/output-tube';

export class DeltaCommandWriter {
  /** Absolute position where the pending literal starts (-1: none). */
  literalStart = -1;
  private literalEnd = 0;
  private copyPosition = 0;
  private copyLength = 0;

  constructor(
    private readonly tube: OutputTube,
    private readonly counters: JobStats,
    private readonly literalLimit: number,
  ) {}

  /**
   * Unmatched bytes [start, end) of the new file; `data[base]` is the byte
   * at absolute position `origin`, and it holds every pending literal byte.
   */
  miss(start: number, end: number, data: Uint8Array, base: number, origin: number): void {
    if (start >= end) return;
    if (this.copyLength > 0) this.flushCopy();
    if (this.literalStart < 0) {
      this.literalStart = start;
      this.literalEnd = start;
    }
    this.literalEnd = end;
    while (this.literalEnd - this.literalStart > this.literalLimit) {
      const cut = this.literalStart + this.literalLimit;
      writeLiteral(this.tube, this.counters, data, base + this.literalStart - origin, base + cut - origin);
      this.literalStart = cut;
    }
  }

  match(position: number, length: number, data: Uint8Array, base: number, origin: number): void {
    if (this.copyLength > 0 && this.copyPosition + this.copyLength === position) {
      this.copyLength += length;
      return;
    }
    this.flush(data, base, origin);
    this.copyPosition = position;
    this.copyLength = length;
  }

  flush(data: Uint8Array, base: number, origin: number): void {
    if (this.copyLength > 0) this.flushCopy();
    if (this.literalStart >= 0) {
      writeLiteral(this.tube, this.counters, data, base + this.literalStart - origin, base + this.literalEnd - origin);
      this.literalStart = -1;
    }
  }

  end(data: Uint8Array, base: number, origin: number): void {
    this.flush(data, base, origin);
    this.tube.putByte(OP_END);
  }

  private flushCopy(): void {
    writeCopy(this.tube, this.counters, this.copyPosition, this.copyLength);
    this.copyLength = 0;
  }
}
