// librsync's two rolling checksums, over typed arrays and 32-bit integer
// arithmetic only. Both keep a window of `count` bytes that can be filled,
// rotated by one byte, or shrunk from the front (how a delta matches the
// basis's short last block at the end of the input).
import { WeakFilter, filterBit } from '../block-index';
import { RollingHash } from '../magic';

// Taken once: inside a vm context (jest, for one) every global lookup in
// a hot loop goes through the context's interceptor, about 30x slower.
const { imul, floor } = Math;

export interface WeakSum {
  /** Bytes in the window; 0 after reset(). */
  count: number;
  reset(): void;
  /** Appends data[start, end) to the window. */
  update(data: Uint8Array, start: number, end: number): void;
  /** Drops `out` from the front and appends `inByte`: the window slides by one. */
  rotate(out: number, inByte: number): void;
  /** Drops `out` from the front: the window shrinks by one. */
  rollout(out: number): void;
  digest(): number;
  /**
   * The delta scan's fast path: slides the window from `position` (a
   * miss) one byte at a time while the filter rules the next sum out, up
   * to `stop`. Returns the first position that needs a full check.
   */
  skipMisses(data: Uint8Array, position: number, stop: number, filter: WeakFilter): number;
}

/** Whether `sum` (as a signed or unsigned 32-bit value) gets past the filter. */
function passes(bits: Int32Array, mask: number, sum: number): boolean {
  const bit = filterBit(sum >>> 0) & mask;
  return (bits[bit >>> 5] & (1 << (bit & 31))) !== 0;
}

// RabinKarp: h = 1; h = h*M + b for each byte, all mod 2^32.
const RK_MULT = 0x08104225;
const RK_INVERSE = 0x98f009ad; // RK_MULT^-1 mod 2^32
const RK_ADJUST = 0x08104224; // RK_MULT - 1: removes the seed's contribution

export class RabinKarpSum implements WeakSum {
  count = 0;
  private hash = 1;
  /** RK_MULT^count */
  private mult = 1;

  reset(): void {
    this.count = 0;
    this.hash = 1;
    this.mult = 1;
  }

  update(data: Uint8Array, start: number, end: number): void {
    this.hash = rabinKarpUpdate(this.hash, data, start, end);
    this.mult = imul(this.mult, powMult(end - start));
    this.count += end - start;
  }

  rotate(out: number, inByte: number): void {
    this.hash = (imul(this.hash, RK_MULT) + inByte - imul(this.mult, out + RK_ADJUST)) | 0;
  }

  rollout(out: number): void {
    this.count--;
    this.mult = imul(this.mult, RK_INVERSE);
    this.hash = (this.hash - imul(this.mult, out + RK_ADJUST)) | 0;
  }

  digest(): number {
    return this.hash >>> 0;
  }

  skipMisses(data: Uint8Array, position: number, stop: number, filter: WeakFilter): number {
    const length = this.count;
    const mult = this.mult;
    const { bits, mask } = filter;
    let h = this.hash;
    do {
      h = (imul(h, RK_MULT) + data[position + length] - imul(mult, data[position] + RK_ADJUST)) | 0;
      position++;
    } while (position < stop && !passes(bits, mask, h));
    this.hash = h;
    return position;
  }
}

/** RK_MULT^n mod 2^32 by squaring. */
function powMult(n: number): number {
  let result = 1;
  let base = RK_MULT;
  while (n > 0) {
    if (n & 1) result = imul(result, base);
    base = imul(base, base);
    n = floor(n / 2);
  }
  return result;
}

// Rollsum (rsync's Adler-like sum): s1 = sum(b + 31), s2 = sum of the
// running s1, both mod 2^16.
const CHAR_OFFSET = 31;

export class Rollsum implements WeakSum {
  count = 0;
  private s1 = 0;
  private s2 = 0;

  reset(): void {
    this.count = 0;
    this.s1 = 0;
    this.s2 = 0;
  }

  update(data: Uint8Array, start: number, end: number): void {
    const sum = rollsumUpdate((this.s2 << 16) | this.s1, data, start, end);
    this.s1 = sum & 0xffff;
    this.s2 = sum >>> 16;
    this.count += end - start;
  }

  rotate(out: number, inByte: number): void {
    this.s1 = (this.s1 + inByte - out) & 0xffff;
    this.s2 = (this.s2 + this.s1 - this.count * (out + CHAR_OFFSET)) & 0xffff;
  }

  rollout(out: number): void {
    this.s1 = (this.s1 - out - CHAR_OFFSET) & 0xffff;
    this.s2 = (this.s2 - this.count * (out + CHAR_OFFSET)) & 0xffff;
    this.count--;
  }

  digest(): number {
    return ((this.s2 << 16) | this.s1) >>> 0;
  }

  skipMisses(data: Uint8Array, position: number, stop: number, filter: WeakFilter): number {
    const length = this.count;
    const { bits, mask } = filter;
    let s1 = this.s1;
    let s2 = this.s2;
    do {
      const out = data[position];
      s1 = (s1 + data[position + length] - out) & 0xffff;
      s2 = (s2 + s1 - length * (out + CHAR_OFFSET)) & 0xffff;
      position++;
    } while (position < stop && !passes(bits, mask, (s2 << 16) | s1));
    this.s1 = s1;
    this.s2 = s2;
    return position;
  }
}

// The two sums over a run of bytes, as plain functions with no reference
// outside their own bodies: the signature workers evaluate their source
// (see signature-workers.ts), so both threads run this one loop.

/** RabinKarp hash `h` extended by data[start, end). */
export function rabinKarpUpdate(h: number, data: Uint8Array, start: number, end: number): number {
  const imul = Math.imul;
  // RK_MULT^1..4, ^8, ^12, ^16. Sixteen bytes per round, as four
  // independent 4-byte products: the chain through h is 1/16 as long
  // (about 1.6x the speed of 4 bytes per round here).
  const m1 = 0x08104225, m2 = 0xa5b71959, m3 = 0x858f9bdd, m4 = 0xf9c080f1;
  const m8 = 0x7c71e2e1, m12 = 0x1a6715d1, m16 = 0x0bb409c1;
  let i = start;
  for (const stop = end - 15; i < stop; i += 16) {
    const a = (imul(data[i], m3) + imul(data[i + 1], m2) + imul(data[i + 2], m1) + data[i + 3]) | 0;
    const b = (imul(data[i + 4], m3) + imul(data[i + 5], m2) + imul(data[i + 6], m1) + data[i + 7]) | 0;
    const c = (imul(data[i + 8], m3) + imul(data[i + 9], m2) + imul(data[i + 10], m1) + data[i + 11]) | 0;
    const d = (imul(data[i + 12], m3) + imul(data[i + 13], m2) + imul(data[i + 14], m1) + data[i + 15]) | 0;
    h = (imul(h, m16) + imul(a, m12) + imul(b, m8) + imul(c, m4) + d) | 0;
  }
  for (; i < end; i++) h = (imul(h, m1) + data[i]) | 0;
  return h;
}

/** Rollsum `(s2 << 16) | s1` extended by data[start, end). */
export function rollsumUpdate(sum: number, data: Uint8Array, start: number, end: number): number {
  let s1 = sum & 0xffff;
  let s2 = sum >>> 16;
  // Exact in doubles for 4096 bytes at a time (CHAR_OFFSET is 31), then reduced mod 2^16.
  for (let i = start; i < end; ) {
    const stop = end - i > 4096 ? i + 4096 : end;
    for (; i < stop; i++) {
      s1 += data[i] + 31;
      s2 += s1;
    }
    s1 &= 0xffff;
    s2 %= 0x10000;
  }
  return ((s2 << 16) | s1) >>> 0;
}

export function createWeakSum(kind: RollingHash): WeakSum {
  return kind === 'rollsum' ? new Rollsum() : new RabinKarpSum();
}
