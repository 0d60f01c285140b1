// A delta scanned on several thread-pool work items at once, byte for
// byte what one librsync delta job writes.
//
// librsync decides at each position p from the window [p, p+blockLength)
// alone (match: the first block with those sums; miss: one byte of
// literal) and then jumps past a match or slides by one. So each step's
// input is cut into stripes, and each stripe is scanned by its own
// librsync job as if the file began there (reading one block past the
// stripe so that every window starting inside it is whole). The serial
// scan is then replayed through the stripes' decisions: it enters stripe
// i+1 at the first position it tests at or past the stripe's start; if
// the stripe's own scan tested that position too, every later decision
// is the same and the stripe's runs are taken as they are. If not (a
// match chain out of step with the serial one, say in runs of one
// repeated block) the rest of that stripe is scanned again serially from
// where the serial scan stands. The commands are then written from the
// decisions with librsync's own grouping rules (delta-command-writer.ts).
import { LibrsyncError } from './errors';
import { Job } from './job';
import { DeltaCommandWriter } from './delta-command-writer';
import { Segment, decidedAt, parseSegments, segmentAt } from './delta-segments';
import { DELTA_MAGIC } from './magic';
import { NativeSignatureSet } from './native-binding';
import { NativeJob } from './native-job';
import { StripedJob } from './striped-job';

/** Input per stripe: a few ms of scanning per work item. */
export const DELTA_STRIPE = 1 << 20;
/** Blocks longer than this make stripes too large to be worth it: such deltas run serially. */
export const MAX_PARALLEL_BLOCK = 256 << 10;

interface Sink {
  writer: DeltaCommandWriter;
  data: Uint8Array;
  base: number;
  origin: number;
}

/**
 * Replays segments from `from` (a position their scan tested) up to
 * `limit`: returns the first position at or past `limit` the serial scan
 * tests next (a match may carry it past `limit`).
 */
function replay(segments: Segment[], from: number, limit: number, blockLength: number, sink: Sink): number {
  let cur = from;
  let i = segmentAt(segments, cur);
  while (cur < limit && i >= 0 && i < segments.length) {
    const s = segments[i];
    const end = s.at + s.length;
    if (s.basis < 0) {
      const stop = Math.min(end, limit);
      sink.writer.miss(cur, stop, sink.data, sink.base, sink.origin);
      cur = stop;
    } else {
      let basis = s.basis + (cur - s.at);
      while (cur < limit && cur < end) {
        const n = Math.min(blockLength, end - cur);
        sink.writer.match(basis, n, sink.data, sink.base, sink.origin);
        cur += n;
        basis += n;
      }
    }
    if (cur >= end) i++;
  }
  return cur;
}

export class ParallelDeltaJob extends StripedJob {
  readonly kind = 'delta' as const;
  readonly preferredInput: number;
  private readonly blockLength: number;
  private readonly writer: DeltaCommandWriter;
  private set: NativeSignatureSet | undefined;
  /** Absolute position of the first byte of the next step's input. */
  private origin = 0;
  /** The next position the serial scan tests. */
  private next = 0;
  private headerWritten = false;
  /** Stripes whose own scan fell out of step with the serial one (rescanned). */
  rescans = 0;
  private readonly stripe: number;
  private readonly outputs: Uint8Array[] = [];

  /** `stripe` (bytes per work item) is for tests: tiny stripes make many boundaries. */
  constructor(
    set: NativeSignatureSet,
    private readonly concurrency: number,
    literalLimit: number,
    options: { stripe?: number } = {},
  ) {
    super('delta'); // as librsync's delta job counts: no signature fields
    const info = set.info();
    if (!info) throw new LibrsyncError('RS_PARAM_ERROR', 'the SignatureSet has been closed');
    this.set = set.share();
    this.blockLength = info.blockLength;
    this.stripe = options.stripe ?? DELTA_STRIPE;
    this.preferredInput = this.stripe * concurrency + info.blockLength;
    this.writer = new DeltaCommandWriter(this.tube, this.counters, literalLimit);
  }

  step: Job['step'] = (eof, input, inOff, inLen, output, outOff, outLen, callback) => {
    this.tube.attach(output, outOff, outLen);
    if (!this.headerWritten) {
      this.tube.putUint(DELTA_MAGIC, 4);
      this.headerWritten = true;
    }
    if (this.tube.pending > 0 || this.ended) {
      this.finish(0, callback);
      return;
    }
    const data = input ?? new Uint8Array(0);
    const last = eof;
    // Windows starting before `decidable` are whole within this input.
    const inputEnd = this.origin + inLen;
    const decidable = last ? inputEnd : inputEnd - this.blockLength;
    if (!last && decidable - this.next < Math.min(this.preferredInput / 2, this.stripe)) {
      this.finish(0, callback); // the stream gathers more
      return;
    }
    this.scan(data, inOff, inputEnd, decidable, last).then(
      () => {
        if (this.closed) return;
        let keepFrom: number;
        if (last) {
          this.writer.end(data, inOff, this.origin);
          this.ended = true;
          keepFrom = inputEnd;
        } else {
          // The pending literal's bytes stay in the input, offered again.
          keepFrom = this.writer.literalStart >= 0 ? this.writer.literalStart : this.next;
        }
        const consumed = keepFrom - this.origin;
        this.origin = keepFrom;
        this.counters.inBytes += consumed;
        this.finish(consumed, callback);
      },
      (err: Error) => {
        if (!this.closed) callback(err, 0, 0, false);
      },
    );
  };

  /** Scans [next, decidable) in stripes and writes their commands. */
  private async scan(data: Uint8Array, inOff: number, inputEnd: number, decidable: number, last: boolean): Promise<void> {
    const bl = this.blockLength;
    const span = decidable - this.next;
    // Small spans in fewer stripes: a work item costs some tens of microseconds.
    const smallest = Math.min(this.stripe, Math.max(64 << 10, 16 * bl));
    const count = Math.max(1, Math.min(this.concurrency, Math.ceil(span / smallest)));
    const starts: number[] = [];
    for (let i = 0; i < count; i++) starts.push(this.next + Math.floor((span * i) / count));
    const limits = starts.map((_, i) => (i + 1 < count ? starts[i + 1] : decidable));
    const scans = starts.map((start, i) => this.scanStripe(data, inOff, start, Math.min(inputEnd, limits[i] + bl), i));
    const stripes = await Promise.all(scans);
    const sink: Sink = { writer: this.writer, data, base: inOff, origin: this.origin };
    let cur = this.next;
    for (let i = 0; i < count; i++) {
      if (cur >= limits[i]) continue; // a match carried the scan past this stripe
      let segments = stripes[i];
      if (!decidedAt(segments, cur, bl)) {
        this.rescans++;
        segments = await this.scanStripe(data, inOff, cur, Math.min(inputEnd, limits[i] + bl), 0);
        if (this.closed) return;
      }
      cur = replay(segments, cur, limits[i], bl, sink);
    }
    // At the end everything is decided; otherwise the scan resumes here.
    this.next = last ? inputEnd : cur;
  }

  /**
   * Decisions of a librsync scan of [start, end) as if the file began at
   * start, its delta written into output buffer `slot` (reused: fresh
   * buffers each step would leave the collector tens of MiB behind).
   */
  private async scanStripe(data: Uint8Array, inOff: number, start: number, end: number, slot: number): Promise<Segment[]> {
    const job = new NativeJob('delta', { signature: this.set });
    const length = end - start;
    // A literal costs 1 to 5 bytes per 32 KiB; matches of tiny blocks may need more (it grows).
    const want = length + (length >> 6) + 4096;
    if ((this.outputs[slot]?.length ?? 0) < want) this.outputs[slot] = new Uint8Array(want);
    const base = inOff + start - this.origin;
    const delta = await this.runStripe(job, data, base, base + length, this.outputs[slot]);
    if (delta.buffer !== this.outputs[slot].buffer) this.outputs[slot] = new Uint8Array(delta.buffer);
    this.counters.falseMatches += job.stats().falseMatches; // kept by a closed job
    return parseSegments(delta, start);
  }

  protected override release(): void {
    this.set?.close();
    this.set = undefined;
  }
}
