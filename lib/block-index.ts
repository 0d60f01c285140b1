// Open-addressing index from (weak sum, strong sum) to the FIRST block
// that has them, over typed arrays: no Map of boxed numbers, no per-block
// objects, so a million-block signature stays a few tens of MB. A bit
// array of weak sums in front of it turns away most misses of a rolling
// scan with one load from a table small enough for the L1/L2 cache.

// Taken once: inside a vm context (jest, for one) every global lookup in
// a hot loop goes through the context's interceptor, about 30x slower.
const { imul } = Math;

export class BlockIndex {
  readonly strongLength: number;
  private weak: Uint32Array;
  private strong: Uint8Array;
  private count = 0;
  private unique = 0;
  private slots: Int32Array; // block index + 1, 0 = empty
  private mask: number;
  private filterBits: Int32Array;
  private filterMask: number;

  constructor(strongLength: number, expectedBlocks = 1024) {
    this.strongLength = strongLength;
    this.weak = new Uint32Array(Math.max(16, expectedBlocks));
    this.strong = new Uint8Array(this.weak.length * strongLength);
    const size = tableSizeFor(this.weak.length);
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.filterBits = new Int32Array(size >>> 2); // 8 bits per slot, 16 per block at most
    this.filterMask = size * 8 - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a batch of blocks, numbered from the current count. */
  addBatch(weak: Uint32Array, strong: Uint8Array): void {
    const L = this.strongLength;
    for (let i = 0; i < weak.length; i++) this.add(weak[i], strong, i * L);
  }

  /** The current filter (replaced when the table grows). */
  get filter(): WeakFilter {
    return { bits: this.filterBits, mask: this.filterMask };
  }

  /** Whether some block may have this weak sum (false positives only). */
  mayHaveWeak(weak: number): boolean {
    const bit = filterBit(weak) & this.filterMask;
    return (this.filterBits[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  /** Whether some block has exactly this weak sum. */
  hasWeak(weak: number): boolean {
    for (let slot = mix(weak) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot];
      if (entry === 0) return false;
      if (this.weak[entry - 1] === weak) return true;
    }
  }

  /** Every block's sums, in order, duplicates included. */
  entries(): { weak: Uint32Array; strong: Uint8Array } {
    return { weak: this.weak.subarray(0, this.count), strong: this.strong.subarray(0, this.count * this.strongLength) };
  }

  /** First block with these sums (comparing `compareLength` strong bytes), or -1. */
  find(weak: number, strong: Uint8Array, strongOffset: number, compareLength = this.strongLength): number {
    const L = this.strongLength;
    for (let slot = mix(weak) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot];
      if (entry === 0) return -1;
      const block = entry - 1;
      if (this.weak[block] === weak && equalBytes(this.strong, block * L, strong, strongOffset, compareLength)) {
        return block;
      }
    }
  }

  private add(weak: number, strong: Uint8Array, offset: number): void {
    const block = this.count++;
    if (block >= this.weak.length) {
      const weakSums = new Uint32Array(this.weak.length * 2);
      weakSums.set(this.weak);
      const strongSums = new Uint8Array(weakSums.length * this.strongLength);
      strongSums.set(this.strong);
      this.weak = weakSums;
      this.strong = strongSums;
    }
    this.weak[block] = weak;
    this.strong.set(strong.subarray(offset, offset + this.strongLength), block * this.strongLength);
    if (this.find(weak, strong, offset) >= 0) return; // duplicates keep the first index
    let slot = mix(weak) & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = block + 1;
    const bit = filterBit(weak) & this.filterMask;
    this.filterBits[bit >>> 5] |= 1 << (bit & 31);
    if (++this.unique * 2 > this.slots.length) this.rehash(this.slots.length * 2);
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.slots.length; i++) {
      const entry = this.slots[i];
      if (entry === 0) continue;
      let slot = mix(this.weak[entry - 1]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
    this.mask = mask;
    this.filterBits = new Int32Array(size >>> 2);
    this.filterMask = size * 8 - 1;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue;
      const bit = filterBit(this.weak[slots[i] - 1]) & this.filterMask;
      this.filterBits[bit >>> 5] |= 1 << (bit & 31);
    }
  }
}

/** The bit array in front of the table, for scans that test it inline. */
export interface WeakFilter {
  readonly bits: Int32Array;
  readonly mask: number;
}

/** Another spread of the weak sum than the table's, so the two reject independently. */
export function filterBit(weak: number): number {
  const h = imul(weak ^ (weak >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 16)) >>> 0;
}

function tableSizeFor(n: number): number {
  let size = 16;
  while (size < n * 2) size *= 2;
  return size;
}

/** Spreads weak sums (rollsum's low bits are poor) over the table. */
function mix(weak: number): number {
  return imul(weak ^ (weak >>> 16), 0x45d9f3b) >>> 0;
}

function equalBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
