// rdiff -s's "match statistics" line: counters of librsync's signature hash
// table (searches, matches, probes, strong sums compared and computed),
// which neither backend exposes. They depend only on the signature, the new
// file and that table's layout, so `-s` replays librsync 2.3.2's greedy scan
// over the new file (as it passes to the delta job) against a model of its
// table: weak sums as keys (rollsums through mix32), a one-bit bloom filter of their top bits,
// quadratic probing, and each (weak, strong) pair stored once. Only `-s`
// pays for it: a second rolling sum over every byte, on the main thread in
// slices of SLICE positions.
import { Transform, TransformCallback } from 'node:stream';
import { createStrongSum, StrongSum } from '../js/strong-sum';
import { createWeakSum, WeakSum } from '../js/weak-sum';
import { RollingHash, hashOf, rollsumOf } from '../magic';
import { SignatureReader } from '../signature-reader';
import { printfFixed } from './stats-format';

const { imul } = Math;
const SLICE = 1 << 16; // a few ms of searching between turns of the event loop

function mix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** librsync's key of a weak sum: never 0, which marks an empty bucket; rollsums (not RabinKarp sums) mixed first. */
function keyFunction(rollsum: RollingHash): (weak: number) => number {
  return rollsum === 'rollsum' ? (weak) => mix32(weak) || 0xffffffff : (weak) => weak >>> 0 || 0xffffffff;
}

export interface MatchCounts {
  searches: number;
  matches: number;
  weakCompares: number;
  strongCompares: number;
  strongCalcs: number;
}

/** librsync 2.3.2's hashtable_t over the signature's blocks, counting as its NAME_find does. */
class LibrsyncTable {
  readonly counts: MatchCounts = { searches: 0, matches: 0, weakCompares: 0, strongCompares: 0, strongCalcs: 0 };
  private readonly keys: Uint32Array;
  private readonly entries: Int32Array; // block index + 1
  private readonly bloom: Uint8Array;
  private readonly mask: number;
  private readonly bloomShift: number;
  private readonly keyOf: (weak: number) => number;

  constructor(
    rollsum: RollingHash,
    weak: Uint32Array,
    private readonly strong: Uint8Array,
    private readonly strongLength: number,
  ) {
    this.keyOf = keyFunction(rollsum);
    const wanted = 1 + Math.trunc((weak.length * 10) / 7); // load factor 7/10
    let size = 2;
    let bits = 1;
    while (size < wanted) {
      size *= 2;
      bits++;
    }
    this.keys = new Uint32Array(size);
    this.entries = new Int32Array(size);
    this.bloom = new Uint8Array((size + 7) >>> 3);
    this.mask = size - 1;
    this.bloomShift = 32 - bits;
    for (let block = 0; block < weak.length; block++) {
      const key = this.keyOf(weak[block]);
      if (this.findSlot(key, (b) => this.sameStrong(b, strong, block * strongLength)) >= 0) continue;
      const bit = key >>> this.bloomShift;
      this.bloom[bit >>> 3] |= 1 << (bit & 7);
      let i = key & this.mask;
      for (let s = 1; this.keys[i] !== 0; s++) i = (i + s) & this.mask;
      this.keys[i] = key;
      this.entries[i] = block + 1;
    }
  }

  private sameStrong(block: number, sum: Uint8Array, offset: number): boolean {
    const L = this.strongLength;
    for (let k = 0; k < L; k++) if (this.strong[block * L + k] !== sum[offset + k]) return false;
    return true;
  }

  /** The slot of the first entry with this key that `matches`, or -1; no counting (the table's build). */
  private findSlot(key: number, matches: (block: number) => boolean): number {
    const bit = key >>> this.bloomShift;
    if (!(this.bloom[bit >>> 3] & (1 << (bit & 7)))) return -1;
    for (let i = key & this.mask, s = 1; this.keys[i] !== 0; i = (i + s++) & this.mask) {
      if (this.keys[i] === key && matches(this.entries[i] - 1)) return i;
    }
    return -1;
  }

  /** One search of the delta scan; `strongOf` computes the window's strong sum (at most once). */
  search(weak: number, strongOf: () => Uint8Array): boolean {
    const c = this.counts;
    c.searches++;
    const key = this.keyOf(weak);
    const bit = key >>> this.bloomShift;
    if (!(this.bloom[bit >>> 3] & (1 << (bit & 7)))) return false;
    let sum: Uint8Array | undefined;
    for (let i = key & this.mask, s = 1; this.keys[i] !== 0; i = (i + s++) & this.mask) {
      c.weakCompares++;
      if (this.keys[i] !== key) continue;
      c.strongCompares++;
      if (!sum) {
        c.strongCalcs++;
        sum = strongOf();
      }
      if (this.sameStrong(this.entries[i] - 1, sum, 0)) {
        c.matches++;
        return true;
      }
    }
    c.weakCompares++; // librsync counts the empty bucket too
    return false;
  }
}

/** Collects a signature's blocks as it streams past (to a loader), for the replay. */
export class SignatureCapture {
  private weak: Uint32Array[] = [];
  private strong: Uint8Array[] = [];
  private failed = false;
  private readonly reader = new SignatureReader((weak, strong) => {
    this.weak.push(weak);
    this.strong.push(strong);
  });

  /** A chunk of the signature; a bad one is left to the loader to report (the line is then not printed). */
  push(chunk: Buffer): void {
    if (this.failed) return;
    try {
      this.reader.push(chunk);
    } catch {
      this.failed = true;
    }
  }

  /** The replay of a delta against the captured signature (once the loader has succeeded), or undefined if it could not be read. */
  async replay(): Promise<MatchReplay | undefined> {
    if (this.failed || !this.reader.header) return undefined;
    const header = this.reader.header;
    const weak = new Uint32Array(this.weak.reduce((n, w) => n + w.length, 0));
    let at = 0;
    for (const w of this.weak) {
      weak.set(w, at);
      at += w.length;
    }
    const table = new LibrsyncTable(rollsumOf(header.magic), weak, Buffer.concat(this.strong), header.strongLength);
    this.weak = [];
    this.strong = [];
    return new MatchReplay(table, header.blockLength, createWeakSum(rollsumOf(header.magic)), await createStrongSum(hashOf(header.magic)), header.strongLength);
  }
}

/**
 * A pass-through for the new file on its way to the delta job: searches
 * where librsync's scan does (delta.c's rs_delta_s_scan, then
 * rs_delta_s_flush at the end) and counts.
 */
export class MatchReplay extends Transform {
  private window: Buffer = Buffer.alloc(0); // input from the scan position on
  private position = 0; // in window
  // chunks not yet in window: joined once they exceed a block, so that a
  // large block length costs at most a second copy of the input, not one per chunk
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly table: LibrsyncTable,
    private readonly blockLength: number,
    private readonly weak: WeakSum,
    private readonly strongSum: StrongSum,
    private readonly strongLength: number,
  ) {
    super();
  }

  get counts(): MatchCounts {
    return this.table.counts;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes <= this.blockLength) {
      callback(null, chunk);
      return;
    }
    this.join();
    this.scan(false, () => callback(null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    this.join();
    this.scan(true, () => callback());
  }

  private join(): void {
    this.window = Buffer.concat([this.window.subarray(this.position), ...this.pending]);
    this.position = 0;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Searches up to SLICE positions, then yields to the event loop until done. */
  private scan(atEnd: boolean, done: () => void): void {
    const data = this.window;
    const B = this.blockLength;
    const weak = this.weak;
    const end = data.length;
    let p = this.position;
    const stop = Math.min(end, p + SLICE);
    // before the end, a full block must follow the position (the scan); at the end, any byte (the flush)
    while (atEnd ? p < stop : p + B < end && p < stop) {
      let length: number;
      if (weak.count === 0) {
        length = Math.min(B, end - p);
        weak.update(data, p, p + length);
      } else {
        length = weak.count;
      }
      const at = p;
      if (this.table.search(weak.digest() >>> 0, () => this.strongSum.sum(data, at, at + length).subarray(0, this.strongLength))) {
        p += length;
        weak.reset();
      } else if (p + B < end) {
        weak.rotate(data[p], data[p + B]);
        p++;
      } else {
        weak.rollout(data[p]);
        p++;
      }
    }
    this.position = p;
    const more = atEnd ? p < end : p + B < end;
    if (more) setImmediate(() => this.scan(atEnd, done));
    else done();
  }
}

/** rdiff's line: "match statistics: signature[...]" (librsync's rs_signature_log_stats, NaN as glibc prints it). */
export function formatMatchStatistics(c: MatchCounts): string {
  const ratio = (n: number, scale: number): string => (c.searches === 0 ? '-nan' : printfFixed((scale * n) / c.searches, 3));
  return (
    `match statistics: signature[${c.searches} searches, ${c.matches} (${ratio(c.matches, 100)}%) matches, ` +
    `${c.weakCompares} (${ratio(c.weakCompares, 1)}x) weak sum compares, ${c.strongCompares} (${ratio(c.strongCompares, 100)}%) strong sum compares, ` +
    `${c.strongCalcs} (${ratio(c.strongCalcs, 100)}%) strong sum calcs]`
  );
}
