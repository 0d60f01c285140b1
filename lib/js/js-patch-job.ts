// Patch in TypeScript: decode delta commands incrementally (a command may
// be split across steps), copy literals from the input and COPY ranges
// from the basis straight into the caller's output buffer. Unlike
// librsync, every COPY is checked against the basis size, and the output
// can be capped (maxOutput) against delta bombs.
import { LibrsyncErrorCode } from '../errors';
import { JobKind } from '../job';
import { DELTA_MAGIC } from '../magic';
import { MAX_IMMEDIATE_LITERAL, OP_COPY_BASE, OP_END, OP_LITERAL_N1 } from './delta-encoder';
import { BasisSource } from './basis-source';
import { JsJob, STEP_INPUT_BUDGET } from './js-job';

const WIDTHS = [1, 2, 4, 8];
/**
 * Passes of the decode loop in one step (each a command or a piece of
 * one): a delta of 1-byte commands costs per command, not per byte, and
 * 1 MiB of them took 60-90 ms. This keeps a step to a few milliseconds.
 */
const MAX_PASSES_PER_STEP = 16384;
const OP_LAST_COPY = OP_COPY_BASE + 15;

type State = 'magic' | 'command' | 'parameters' | 'literal' | 'copy';

export class JsPatchJob extends JsJob {
  readonly kind: JobKind = 'patch';
  private state: State = 'magic';
  /** Bytes of the magic or of a command's parameters gathered so far. */
  private readonly gathered = new Uint8Array(16);
  private have = 0;
  private need = 4;
  private opcode = 0;
  private literalLeft = 0;
  private copyPosition = 0;
  private copyLeft = 0;
  private written = 0;

  constructor(
    private readonly basis: BasisSource,
    private readonly maxOutput?: number,
  ) {
    super();
  }

  protected override release(): void {
    this.basis.close();
  }

  protected run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number | Promise<number> {
    const end = inOff + Math.min(inLen, STEP_INPUT_BUDGET);
    let pos = inOff;
    for (let passes = 0; !this.finished && this.tube.room > 0; passes++) {
      if (passes === MAX_PASSES_PER_STEP) return pos - inOff; // more next step
      if (this.state === 'copy') {
        const read = this.copy();
        if (read === null) continue;
        return read.then(() => pos - inOff);
      }
      if (this.state === 'literal') {
        const n = Math.min(this.literalLeft, end - pos, this.tube.room);
        if (n === 0) break;
        this.checkLimit(n);
        this.tube.put(input, pos, pos + n);
        this.written += n;
        pos += n;
        this.literalLeft -= n;
        if (this.literalLeft === 0) this.command();
        continue;
      }
      // magic, command or parameters: gather the bytes they need
      const n = Math.min(this.need - this.have, end - pos);
      if (n === 0) break;
      this.gathered.set(input.subarray(pos, pos + n), this.have);
      this.have += n;
      pos += n;
      if (this.have === this.need) this.decode();
    }
    if (!this.finished && eof && pos === inOff + inLen && this.tube.room > 0) {
      throw this.fail('RS_INPUT_ENDED', 'delta ended before its END command (truncated?)');
    }
    return pos - inOff;
  }

  /** Acts on a complete magic, opcode or parameter block. */
  private decode(): void {
    const g = this.gathered;
    this.have = 0;
    if (this.state === 'magic') {
      const magic = ((g[0] << 24) | (g[1] << 16) | (g[2] << 8) | g[3]) >>> 0;
      if (magic !== DELTA_MAGIC) throw this.fail('RS_BAD_MAGIC', `not a delta: magic 0x${magic.toString(16).padStart(8, '0')}`);
      this.command();
      return;
    }
    if (this.state === 'command') {
      const op = g[0];
      this.opcode = op;
      if (op === OP_END) {
        this.finished = true;
      } else if (op <= MAX_IMMEDIATE_LITERAL) {
        this.literal(op, 0);
      } else if (op <= OP_LAST_COPY) {
        this.state = 'parameters';
        this.need = op < OP_COPY_BASE ? WIDTHS[op - OP_LITERAL_N1] : WIDTHS[(op - OP_COPY_BASE) >> 2] + WIDTHS[(op - OP_COPY_BASE) & 3];
      } else {
        throw this.fail('RS_CORRUPT', `corrupt delta: unknown command 0x${op.toString(16)}`);
      }
      return;
    }
    const op = this.opcode;
    if (op < OP_COPY_BASE) {
      this.literal(readUint(g, 0, this.need), this.need);
      return;
    }
    const positionWidth = WIDTHS[(op - OP_COPY_BASE) >> 2];
    const position = readUint(g, 0, positionWidth);
    const length = readUint(g, positionWidth, WIDTHS[(op - OP_COPY_BASE) & 3]);
    if (length === 0) throw this.fail('RS_CORRUPT', 'corrupt delta: a COPY of length 0');
    if (length < 0 || position < 0) throw this.fail('RS_CORRUPT', 'corrupt delta: a COPY with a negative offset or length');
    if (position > this.basis.size || length > this.basis.size - position) {
      throw this.fail('RS_COPY_OUT_OF_RANGE', 'delta copies bytes from beyond the end of the basis');
    }
    this.copyPosition = position;
    this.copyLeft = length;
    this.state = 'copy';
    this.counters.copyCommands++;
    this.counters.copyBytes += length;
    this.counters.copyCommandBytes += 1 + this.need;
  }

  private command(): void {
    this.state = 'command';
    this.need = 1;
  }

  private literal(length: number, lengthWidth: number): void {
    if (length === 0) throw this.fail('RS_CORRUPT', 'corrupt delta: a LITERAL of length 0');
    if (length < 0) throw this.fail('RS_CORRUPT', 'corrupt delta: a LITERAL of negative length');
    this.literalLeft = length;
    this.state = 'literal';
    this.counters.literalCommands++;
    this.counters.literalBytes += length;
    this.counters.literalCommandBytes += 1 + lengthWidth;
  }

  /** Copies part of the current COPY; null when done synchronously, else the pending read. */
  private copy(): Promise<void> | null {
    const n = Math.min(this.copyLeft, this.tube.room, STEP_INPUT_BUDGET);
    this.checkLimit(n);
    const got = this.basis.read(this.tube.buffer!, this.tube.position, n, this.copyPosition);
    if (typeof got === 'number') {
      this.copied(got);
      return null;
    }
    return got.then((count) => this.copied(count));
  }

  private copied(count: number): void {
    // The size was checked when the COPY was decoded: a short read means the file shrank.
    if (count === 0) throw this.fail('RS_BASIS_CHANGED', 'basis file became shorter while it was being read');
    this.tube.advance(count);
    this.written += count;
    this.copyPosition += count;
    this.copyLeft -= count;
    if (this.copyLeft === 0) this.command();
  }

  /** Fails once the output would pass maxOutput. */
  private checkLimit(n: number): void {
    if (this.maxOutput !== undefined && this.written + n > this.maxOutput) {
      throw this.fail('RS_OUTPUT_LIMIT', 'patch output exceeds the configured maxOutput limit');
    }
  }

  private fail(code: LibrsyncErrorCode, message: string): Error {
    return this.error(code, message);
  }
}

/**
 * Big-endian integer as librsync reads it: 8-byte fields are signed, so
 * from 2^63 up they come back as -1 (corrupt); other values past 2^53 as
 * Infinity (always out of range).
 */
function readUint(bytes: Uint8Array, offset: number, width: number): number {
  if (width === 8 && bytes[offset] >= 0x80) return -1;
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + bytes[offset + i];
  return Number.isSafeInteger(value) ? value : Infinity;
}
