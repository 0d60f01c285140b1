// Reads a librsync delta as it streams in, as its commands: COPY
// (position, length) and the bytes of each LITERAL, in the order they
// come. Its rules are patch's: a bad magic, an unknown command, a COPY or
// LITERAL of length 0, an 8-byte field from 2^63 up and a delta without
// END are damage; bytes after END are ignored (patch ignores them too).
// parseSegments (delta-segments.ts) reads a whole delta held in memory and
// JsPatchJob decodes into patch output; this one holds at most a 17-byte
// command in memory, whatever the delta's size.
import { DELTA_MAGIC } from '../magic';
import { MAX_IMMEDIATE_LITERAL, OP_COPY_BASE, OP_END, OP_LITERAL_N1 } from '../js/delta-encoder';

const WIDTHS = [1, 2, 4, 8];
const OP_LAST_COPY = OP_COPY_BASE + 15;

export interface DeltaCommandSink {
  copy(position: number, length: number): void;
  /** A LITERAL of `length` bytes starts: its bytes follow through literalBytes. */
  literal(length: number): void;
  /** Part of the current LITERAL's bytes; a view of the input, valid only during the call. */
  literalBytes(bytes: Buffer): void;
}

type State = 'magic' | 'command' | 'parameters' | 'literal' | 'done';

export class DeltaCommandDecoder {
  private state: State = 'magic';
  private readonly gathered = Buffer.alloc(16);
  private have = 0;
  private need = 4;
  private opcode = 0;
  private literalLeft = 0;
  /** Commands decoded so far (callers pace their work by it). */
  commands = 0;

  constructor(
    private readonly sink: DeltaCommandSink,
    private readonly damaged: (why: string) => Error,
  ) {}

  get finished(): boolean {
    return this.state === 'done';
  }

  feed(input: Buffer): void {
    let pos = 0;
    while (pos < input.length && this.state !== 'done') {
      if (this.state === 'literal') {
        const n = Math.min(this.literalLeft, input.length - pos);
        this.sink.literalBytes(input.subarray(pos, pos + n));
        pos += n;
        this.literalLeft -= n;
        if (this.literalLeft === 0) this.expectCommand();
        continue;
      }
      const n = Math.min(this.need - this.have, input.length - pos);
      input.copy(this.gathered, this.have, pos, pos + n);
      this.have += n;
      pos += n;
      if (this.have === this.need) this.decode();
    }
  }

  /** The delta's bytes are all in: fails unless END was read. */
  end(): void {
    if (this.state !== 'done') throw this.damaged('the delta ends before its END command (truncated?)');
  }

  private decode(): void {
    const g = this.gathered;
    this.have = 0;
    if (this.state === 'magic') {
      if (g.readUInt32BE(0) !== DELTA_MAGIC) throw this.damaged('not a delta (bad magic)');
      this.expectCommand();
      return;
    }
    if (this.state === 'command') {
      const op = g[0];
      this.opcode = op;
      this.commands++;
      if (op === OP_END) {
        this.state = 'done';
      } else if (op <= MAX_IMMEDIATE_LITERAL) {
        this.startLiteral(op);
      } else if (op <= OP_LAST_COPY) {
        this.state = 'parameters';
        this.need = op < OP_COPY_BASE ? WIDTHS[op - OP_LITERAL_N1] : WIDTHS[(op - OP_COPY_BASE) >> 2] + WIDTHS[(op - OP_COPY_BASE) & 3];
      } else {
        throw this.damaged(`unknown delta command 0x${op.toString(16)}`);
      }
      return;
    }
    const op = this.opcode;
    if (op < OP_COPY_BASE) {
      this.startLiteral(readField(g, 0, this.need));
      return;
    }
    const positionWidth = WIDTHS[(op - OP_COPY_BASE) >> 2];
    const position = readField(g, 0, positionWidth);
    const length = readField(g, positionWidth, WIDTHS[(op - OP_COPY_BASE) & 3]);
    if (length === 0) throw this.damaged('a COPY of length 0');
    if (length < 0 || position < 0) throw this.damaged('a COPY with a negative offset or length');
    this.expectCommand();
    this.sink.copy(position, length);
  }

  private startLiteral(length: number): void {
    if (length === 0) throw this.damaged('a LITERAL of length 0');
    if (length < 0) throw this.damaged('a LITERAL of negative length');
    this.literalLeft = length;
    this.state = 'literal';
    this.sink.literal(length);
  }

  private expectCommand(): void {
    this.state = 'command';
    this.need = 1;
  }
}

/**
 * Big-endian field as patch reads it: 8-byte fields are signed, so from
 * 2^63 up they are -1 (corrupt); other values past 2^53 are Infinity
 * (always out of range).
 */
function readField(bytes: Uint8Array, offset: number, width: number): number {
  if (width === 8 && bytes[offset] >= 0x80) return -1;
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + bytes[offset + i];
  return Number.isSafeInteger(value) ? value : Infinity;
}
