// Where a JS job writes its output during one step: straight into the
// caller's buffer while it has room, and into a small overflow kept for
// the next step once it is full (like librsync's tube). A job stops
// taking input while the overflow holds anything, so it stays bounded.

export class OutputTube {
  private out: Uint8Array | null = null;
  private outStart = 0;
  private outPos = 0;
  private outEnd = 0;
  private overflow = new Uint8Array(0);
  private overflowStart = 0;
  private overflowEnd = 0;

  /** Starts a step writing into out[offset, offset+length); pending bytes go first. */
  attach(out: Uint8Array | null, offset: number, length: number): void {
    this.out = out;
    this.outStart = this.outPos = offset;
    this.outEnd = offset + length;
    const n = Math.min(this.overflowEnd - this.overflowStart, length);
    if (n > 0 && out) {
      out.set(this.overflow.subarray(this.overflowStart, this.overflowStart + n), offset);
      this.outPos += n;
      this.overflowStart += n;
      if (this.overflowStart === this.overflowEnd) this.overflowStart = this.overflowEnd = 0;
    }
  }

  /** Ends the step; returns the bytes written into the caller's buffer. */
  detach(): number {
    const produced = this.outPos - this.outStart;
    this.out = null;
    return produced;
  }

  /** Bytes waiting for the next step. */
  get pending(): number {
    return this.overflowEnd - this.overflowStart;
  }

  /** Free space in the caller's buffer. */
  get room(): number {
    return this.pending > 0 ? 0 : this.outEnd - this.outPos;
  }

  /** Direct access for writers that fill the caller's buffer themselves (patch's basis reads). */
  get buffer(): Uint8Array | null {
    return this.out;
  }

  get position(): number {
    return this.outPos;
  }

  /** Accounts for `n` bytes written at `position` directly (at most `room`). */
  advance(n: number): void {
    this.outPos += n;
  }

  put(data: Uint8Array, start: number, end: number): void {
    let n = end - start;
    if (this.pending === 0 && this.out) {
      const direct = Math.min(n, this.outEnd - this.outPos);
      this.out.set(data.subarray(start, start + direct), this.outPos);
      this.outPos += direct;
      start += direct;
      n -= direct;
    }
    if (n > 0) this.spill(data, start, end);
  }

  putByte(value: number): void {
    if (this.pending === 0 && this.out && this.outPos < this.outEnd) this.out[this.outPos++] = value;
    else this.spill(Uint8Array.of(value), 0, 1);
  }

  /** Big-endian unsigned integer of `width` bytes (1, 2, 4 or 8). */
  putUint(value: number, width: number): void {
    const bytes = this.scratch;
    for (let i = width - 1; i >= 0; i--) {
      bytes[i] = value % 256;
      value = Math.floor(value / 256);
    }
    this.put(bytes, 0, width);
  }

  private readonly scratch = new Uint8Array(8);

  private spill(data: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.overflowEnd + n > this.overflow.length) {
      const live = this.overflowEnd - this.overflowStart;
      if (live + n <= this.overflow.length) {
        this.overflow.copyWithin(0, this.overflowStart, this.overflowEnd);
        this.overflowStart = 0;
        this.overflowEnd = live;
      }
    }
    if (this.overflowEnd + n > this.overflow.length) {
      const live = this.overflowEnd - this.overflowStart;
      const grown = new Uint8Array(Math.max(this.overflow.length * 2, live + n, 4096));
      grown.set(this.overflow.subarray(this.overflowStart, this.overflowEnd));
      this.overflow = grown;
      this.overflowStart = 0;
      this.overflowEnd = live;
    }
    this.overflow.set(data.subarray(start, end), this.overflowEnd);
    this.overflowEnd += n;
  }
}
