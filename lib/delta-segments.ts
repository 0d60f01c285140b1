// What a delta says about its input, read back from librsync's own
// output: runs of unmatched positions and runs of matched blocks, at
// absolute positions of the new file. The parallel delta reads each
// stripe's delta this way and stitches the runs where the serial scan
// would have gone.
import { LibrsyncError } from './errors';
import { DELTA_MAGIC } from './magic';

/** basis < 0: literal run; otherwise a COPY of basis[basis, basis+length). */
export interface Segment {
  at: number;
  length: number;
  basis: number;
}

function internal(message: string): LibrsyncError {
  return new LibrsyncError('RS_INTERNAL_ERROR', `parallel delta: ${message}`);
}

function readUint(d: Uint8Array, at: number, width: number): number {
  if (at + width > d.length) throw internal('truncated command');
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + d[at + i];
  return v;
}

const WIDTHS = [1, 2, 4, 8];

/** The runs of a complete delta whose input began at `origin`. */
export function parseSegments(delta: Uint8Array, origin: number): Segment[] {
  if (delta.length < 5 || readUint(delta, 0, 4) !== DELTA_MAGIC) throw internal('no delta header');
  const out: Segment[] = [];
  let at = origin;
  let i = 4;
  for (;;) {
    if (i >= delta.length) throw internal('no END command');
    const op = delta[i++];
    if (op === 0) return out;
    if (op <= 0x44) {
      let length = op;
      if (op > 0x40) {
        const width = WIDTHS[op - 0x41];
        length = readUint(delta, i, width);
        i += width;
      }
      i += length;
      const prev = out[out.length - 1];
      if (prev && prev.basis < 0) prev.length += length; // a literal cut in two is one run
      else out.push({ at, length, basis: -1 });
      at += length;
    } else if (op <= 0x54) {
      const k = op - 0x45;
      const pw = WIDTHS[k >> 2];
      const lw = WIDTHS[k & 3];
      const basis = readUint(delta, i, pw);
      const length = readUint(delta, i + pw, lw);
      i += pw + lw;
      out.push({ at, length, basis });
      at += length;
    } else {
      throw internal(`unknown command 0x${op.toString(16)}`);
    }
  }
}

/** Index of the segment holding position p, or -1. */
export function segmentAt(segments: Segment[], p: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = segments[mid];
    if (p < s.at) hi = mid - 1;
    else if (p >= s.at + s.length) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Whether the scan that wrote these segments tested a window at p: every
 * unmatched position, and the start of every matched block.
 */
export function decidedAt(segments: Segment[], p: number, blockLength: number): boolean {
  const i = segmentAt(segments, p);
  if (i < 0) return false;
  const s = segments[i];
  return s.basis < 0 || (p - s.at) % blockLength === 0;
}
