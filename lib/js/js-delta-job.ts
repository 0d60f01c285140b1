// Delta in TypeScript, making the same choices as librsync's delta.c so
// the bytes are identical: test the block-long window at each position;
// on a match emit (or extend) a COPY and jump past it; on a miss slide the
// window by one byte and grow the pending literal (emitted once it reaches
// the literal limit of the linked librsync: 32768 bytes for 2.3.2, 65533
// for 2.3.3+; see literal-limit.ts).
// At the end of input the window shrinks from the front instead, so only
// suffixes (the basis's short last block) can still match.
import { DELTA_MAGIC } from '../magic';
import { JobKind } from '../job';
import { OP_END, writeCopy, writeLiteral } from './delta-encoder';
import { paramError } from '../errors';
import { linkedLiteralLimit } from '../literal-limit';
import { JsJob } from './js-job';
import { JsSignature } from './js-signature';
import { WeakSum, createWeakSum } from './weak-sum';

// Taken once: inside a vm context (jest, for one) every global lookup in
// a hot loop goes through the context's interceptor, about 30x slower.
const { min } = Math;

/**
 * Input taken per step: a byte that matches nothing costs a few ns to
 * scan, so this keeps a step to a millisecond or two. It must stay above
 * the literal limit (see scanTail), which is at most 65533.
 */
const DELTA_STEP_BUDGET = 256 << 10;
/**
 * Blocks' worth of input taken per step: every match costs a strong sum
 * (about 0.7 us even for a tiny block), so with blocks of a few bytes the
 * byte budget alone let a step run for 200 ms.
 */
const MAX_BLOCKS_PER_STEP = 4096;

export interface JsDeltaOptions {
  /**
   * librsync flushes a literal once this many unmatched bytes are pending:
   * by default the linked librsync's (linkedLiteralLimit()); tests pass one.
   */
  literalLimit?: number;
}

export class JsDeltaJob extends JsJob {
  readonly kind: JobKind = 'delta';
  private readonly weak: WeakSum;
  private readonly blockLength: number;
  /**
   * Unemitted input: [start, scan) is the pending literal, [scan, end) is
   * not yet scanned. Matched bytes are dropped as soon as they match.
   */
  private scoop: Uint8Array;
  private start = 0;
  private scan = 0;
  private end = 0;
  /** Pending COPY (length 0: none). */
  private copyPosition = 0;
  private copyLength = 0;
  private headerWritten = false;
  private readonly magicBytes = Uint8Array.of(DELTA_MAGIC >>> 24, (DELTA_MAGIC >>> 16) & 0xff, (DELTA_MAGIC >>> 8) & 0xff, DELTA_MAGIC & 0xff);
  /** Pending unmatched bytes at which a literal is flushed (see JsDeltaOptions). */
  private readonly literalLimit: number;

  constructor(
    private readonly sig: JsSignature,
    options: JsDeltaOptions = {},
  ) {
    super();
    const { literalLimit = linkedLiteralLimit() } = options;
    this.literalLimit = literalLimit;
    if (!Number.isSafeInteger(literalLimit) || literalLimit < 1 || literalLimit >= DELTA_STEP_BUDGET) {
      throw paramError(`literal limit must be an integer from 1 to ${DELTA_STEP_BUDGET - 1}`);
    }
    this.weak = createWeakSum(sig.rollsum);
    this.blockLength = sig.blockLength;
    this.scoop = new Uint8Array(min(literalLimit + sig.blockLength + DELTA_STEP_BUDGET + 1, 4 << 20));
  }

  protected run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number {
    if (!this.headerWritten) {
      this.tube.put(this.magicBytes, 0, 4);
      this.headerWritten = true;
    }
    // No cap for the slack delta (no matching): its bytes follow the slicing.
    const matching = this.sig.blockCount > 0;
    const take = min(inLen, DELTA_STEP_BUDGET, matching ? MAX_BLOCKS_PER_STEP * this.blockLength : inLen);
    const last = eof && take === inLen;
    if (!matching) {
      // librsync's "slack" delta: with nothing to match, each slice of
      // input becomes one literal (so its bytes depend on the slicing).
      if (take > 0) writeLiteral(this.tube, this.counters, input, inOff, inOff + take);
    } else {
      this.append(input, inOff, take);
      this.scanWindows();
      if (last && !this.scanTail()) return take; // more tail next step
    }
    if (last) {
      this.flush();
      this.tube.putByte(OP_END);
      this.finished = true;
    }
    return take;
  }

  private append(input: Uint8Array, offset: number, length: number): void {
    if (this.end + length > this.scoop.length) {
      const live = this.end - this.start;
      const target = live + length <= this.scoop.length ? this.scoop : new Uint8Array(Math.max(this.scoop.length * 2, live + length));
      target.set(this.scoop.subarray(this.start, this.end), 0);
      this.scoop = target;
      this.scan -= this.start;
      this.end = live;
      this.start = 0;
    }
    this.scoop.set(input.subarray(offset, offset + length), this.end);
    this.end += length;
  }

  /** Full windows: while a block and one more byte are available. */
  private scanWindows(): void {
    const blockLength = this.blockLength;
    const data = this.scoop;
    const weak = this.weak;
    const index = this.sig.index;
    const filter = index.filter;
    const end = this.end;
    let scan = this.scan;
    while (scan + blockLength < end) {
      if (weak.count === 0) weak.update(data, scan, scan + blockLength);
      const sum = weak.digest();
      if (index.mayHaveWeak(sum) && index.hasWeak(sum)) {
        const block = this.findBlock(sum, scan, blockLength);
        if (block >= 0) {
          this.scan = scan;
          this.appendMatch(block * blockLength, blockLength);
          scan = this.scan;
          weak.reset();
          continue;
        }
      }
      // A miss: emit what is pending if librsync would here, then slide
      // past the following positions the filter rules out. None of them
      // can need a flush before start + literalLimit.
      if (this.copyLength > 0 || scan - this.start >= this.literalLimit) {
        this.scan = scan;
        this.flush();
      }
      scan = weak.skipMisses(data, scan, min(end - blockLength, this.start + this.literalLimit), filter);
    }
    this.scan = scan;
  }

  /**
   * The last bytes of the input, the window shrinking on each miss.
   * Returns true when done. A step that stops early has always written
   * something (JobStream treats a step that neither reads nor writes at
   * the end of input as stuck): the window always reaches the end, so a
   * match ends the scan, and DELTA_STEP_BUDGET misses in a row flush at
   * least one literal of literalLimit bytes.
   */
  private scanTail(): boolean {
    const data = this.scoop;
    const weak = this.weak;
    const index = this.sig.index;
    const end = this.end;
    let budget = DELTA_STEP_BUDGET;
    let scan = this.scan;
    while (scan < end) {
      if (budget-- === 0) {
        this.scan = scan;
        return false;
      }
      if (weak.count === 0) weak.update(data, scan, min(end, scan + this.blockLength));
      const length = weak.count;
      const sum = weak.digest();
      if (index.mayHaveWeak(sum) && index.hasWeak(sum)) {
        const block = this.findBlock(sum, scan, length);
        if (block >= 0) {
          this.scan = scan;
          this.appendMatch(block * this.blockLength, length);
          scan = this.scan;
          weak.reset();
          continue;
        }
      }
      weak.rollout(data[scan]);
      if (this.copyLength > 0 || scan - this.start >= this.literalLimit) {
        this.scan = scan;
        this.flush();
      }
      scan++;
    }
    this.scan = scan;
    return true;
  }

  /** The first block whose weak and strong sums match data[at, at+length), or -1. */
  private findBlock(sum: number, at: number, length: number): number {
    const strong = this.sig.strong.sum(this.scoop, at, at + length);
    const block = this.sig.index.find(sum, strong, 0);
    if (block < 0) this.counters.falseMatches++;
    return block;
  }

  private appendMatch(position: number, length: number): void {
    if (this.copyLength > 0 && this.copyPosition + this.copyLength === position) {
      this.copyLength += length;
    } else {
      this.flush();
      this.copyPosition = position;
      this.copyLength = length;
    }
    this.scan += length;
    this.start = this.scan;
  }

  /** Emits the pending COPY or literal. */
  private flush(): void {
    if (this.copyLength > 0) {
      writeCopy(this.tube, this.counters, this.copyPosition, this.copyLength);
      this.copyLength = 0;
    } else if (this.scan > this.start) {
      writeLiteral(this.tube, this.counters, this.scoop, this.start, this.scan);
      this.start = this.scan;
    }
  }
}
