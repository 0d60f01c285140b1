// Composes a chain of deltas into one list of runs, each either bytes of
// the chain's base version (level 0) or LITERAL bytes of some level: each
// COPY of level k is mapped through the runs of version k-1, so version N
// is rebuilt in one pass over the base whatever N. The result is exactly
// what patching the levels one after the other gives, with patch's checks:
// a COPY past the end of the previous version, or a version longer than
// its step's size, is damage of that level.
//
// Memory: a version is two Float64Arrays (16 bytes a run), grown on
// demand up to MAX_RUNS; two versions live at once (the previous one and
// the one being built), so at most 2 x 16 x 2^18 = 8 MiB, plus the
// literal bytes' LITERAL_MEMORY_BUDGET (the rest is on disk). A chain
// that needs more runs (scattered edits by the hundred thousand) is
// reported as too fragmented, and its caller rebuilds it step by step.

import { DeltaCommandDecoder } from './delta-command-decoder';
import { LiteralStore } from './literal-store';

/** Runs a composed version may have. */
export const MAX_RUNS = 1 << 18;

/** A chain whose composition would pass MAX_RUNS: not damage, only too costly to hold. */
export class ChainTooFragmented extends Error {
  constructor() {
    super(`composing the chain would take more than ${MAX_RUNS} runs`);
  }
}

/**
 * A version as runs: run i covers output bytes [starts[i], starts[i+1])
 * (the last one up to `size`); its source is base byte sources[i] when
 * >= 0, literal byte -sources[i]-1 when < 0, onwards.
 */
export class RunList {
  starts = new Float64Array(64);
  sources = new Float64Array(64);
  count = 0;
  size = 0;

  /** The whole base version, of `size` bytes (no runs when empty). */
  static base(size: number): RunList {
    const list = new RunList();
    list.push(0, size);
    return list;
  }

  runLength(i: number): number {
    return (i + 1 < this.count ? this.starts[i + 1] : this.size) - this.starts[i];
  }

  /** Appends `length` bytes from `source`, extending the last run when they follow it. */
  push(source: number, length: number): void {
    if (length === 0) return;
    const last = this.count - 1;
    if (last >= 0) {
      const previous = this.sources[last];
      const previousLength = this.size - this.starts[last];
      const follows = source >= 0 ? previous >= 0 && previous + previousLength === source : previous < 0 && previous - previousLength === source;
      if (follows) {
        this.size += length;
        return;
      }
    }
    if (this.count === MAX_RUNS) throw new ChainTooFragmented();
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = this.size;
    this.sources[this.count] = source;
    this.count++;
    this.size += length;
  }

  /** Appends this version's bytes [position, position + length) to `to` (the range lies within this version). */
  copyTo(to: RunList, position: number, length: number): void {
    let i = this.runAt(position);
    let offset = position - this.starts[i];
    for (let left = length; left > 0; i++, offset = 0) {
      const take = Math.min(this.runLength(i) - offset, left);
      const source = this.sources[i];
      to.push(source >= 0 ? source + offset : source - offset, take);
      left -= take;
    }
  }

  /** Whether any run is of base bytes. */
  usesBase(): boolean {
    for (let i = 0; i < this.count; i++) if (this.sources[i] >= 0) return true;
    return false;
  }

  /** Whether the base bytes are used in order, each at most once: then the base can be read as one stream. */
  readsBaseInOrder(): boolean {
    let next = 0;
    for (let i = 0; i < this.count; i++) {
      const source = this.sources[i];
      if (source < 0) continue;
      if (source < next) return false;
      next = source + this.runLength(i);
    }
    return true;
  }

  private runAt(position: number): number {
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.starts[mid] <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private grow(): void {
    const capacity = Math.min(MAX_RUNS, this.starts.length * 2);
    const starts = new Float64Array(capacity);
    const sources = new Float64Array(capacity);
    starts.set(this.starts);
    sources.set(this.sources);
    this.starts = starts;
    this.sources = sources;
  }
}

/** Literal byte number `n` as a run source. */
export function literalSource(n: number): number {
  return -n - 1;
}

/** Commands decoded between two yields to the event loop. */
const COMMANDS_PER_TURN = 16384;
/** Input fed to the decoder at once, so that a turn stays short even for a delta of 1-byte commands. */
const FEED_SLICE = 64 << 10;

/**
 * Version k as runs, from version k-1 (`previous`) and level k's delta
 * bytes (checked by the caller's stream, which fails before it ends when
 * they are damaged): at most `cap` bytes long, its literal bytes appended
 * to `literals`. `damaged(why)` is the error for damage of this level.
 */
export async function composeLevel(previous: RunList, delta: AsyncIterable<Buffer>, cap: number, literals: LiteralStore, damaged: (why: string) => Error): Promise<RunList> {
  const next = new RunList();
  const grow = (length: number): void => {
    if (length > cap - next.size) throw damaged(`it rebuilds a version longer than ${cap} bytes`);
  };
  const decoder = new DeltaCommandDecoder(
    {
      copy(position, length) {
        if (position > previous.size || length > previous.size - position) {
          throw damaged(`a COPY of ${length} bytes at ${position} reaches past the end of the previous version (${previous.size} bytes)`);
        }
        grow(length);
        previous.copyTo(next, position, length);
      },
      literal(length) {
        grow(length);
      },
      literalBytes(bytes) {
        next.push(literalSource(literals.append(bytes)), bytes.length);
      },
    },
    damaged,
  );
  let paused = 0;
  for await (const chunk of delta) {
    for (let at = 0; at < chunk.length && !decoder.finished; at += FEED_SLICE) {
      decoder.feed(chunk.subarray(at, at + FEED_SLICE));
      if (decoder.commands - paused >= COMMANDS_PER_TURN) {
        paused = decoder.commands;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await literals.settle();
  }
  decoder.end();
  return next;
}
