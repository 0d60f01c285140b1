// Where the bytes of a file being written go, so that it gets holes: the
// parts of each chunk to write at their offsets, the rest skipped (a new
// file reads as zeros there once truncated to its size). Two layouts:
//  - the data extents a backup recorded: every byte inside them is
//    written, and every byte outside must be zero, or the file is not the
//    one recorded (`notZeros`): never a silently wrong file;
//  - 'zero-blocks', for intermediate versions whose holes are not
//    recorded: whatever 4 KiB blocks (by file offset) are all zeros.
import { FileHandle } from 'node:fs/promises';
import { Extent } from '../data-extents';
import { isZeros } from './zero-chunks';

export type HoleLayout = { extents: readonly Extent[] } | 'zero-blocks';

/** Bytes to write at a file offset. */
export interface PlannedWrite {
  position: number;
  bytes: Buffer;
}

/** The block size file systems allocate by (4 KiB on ext4, tmpfs, xfs, btrfs on x86): a hole needs whole blocks. */
const BLOCK = 4096;

export class HolePlan {
  /** Offset of the next byte to come: the file's size once the last has. */
  size = 0;
  private next = 0;

  constructor(
    private readonly layout: HoleLayout,
    private readonly notZeros: (offset: number) => Error,
  ) {}

  /** The parts of `chunk`, the file's next bytes, to write. */
  writes(chunk: Buffer): PlannedWrite[] {
    const start = this.size;
    this.size += chunk.length;
    return this.layout === 'zero-blocks' ? nonZeroRuns(chunk, start) : this.inExtents(this.layout.extents, chunk, start);
  }

  private inExtents(extents: readonly Extent[], chunk: Buffer, start: number): PlannedWrite[] {
    const writes: PlannedWrite[] = [];
    const end = start + chunk.length;
    for (let at = start; at < end; ) {
      const extent = extents[this.next];
      const holeEnd = Math.min(end, extent ? extent[0] : end);
      if (at < holeEnd) {
        if (!isZeros(chunk, at - start, holeEnd - start)) throw this.notZeros(at + chunk.subarray(at - start, holeEnd - start).findIndex((b) => b !== 0));
        at = holeEnd;
        continue;
      }
      const dataEnd = Math.min(end, extent[0] + extent[1]);
      writes.push({ position: at, bytes: chunk.subarray(at - start, dataEnd - start) });
      at = dataEnd;
      if (at === extent[0] + extent[1]) this.next++;
    }
    return writes;
  }
}

/** The runs of `chunk` (at file offset `start`) not made of whole zero blocks. */
function nonZeroRuns(chunk: Buffer, start: number): PlannedWrite[] {
  if (isZeros(chunk)) return [];
  const writes: PlannedWrite[] = [];
  let run = -1; // where the current run to write began in the chunk, or -1
  for (let from = 0; from < chunk.length; ) {
    const to = Math.min(chunk.length, from + BLOCK - ((start + from) % BLOCK));
    const zero = isZeros(chunk, from, to);
    if (!zero && run < 0) run = from;
    if (zero && run >= 0) {
      writes.push({ position: start + run, bytes: chunk.subarray(run, from) });
      run = -1;
    }
    from = to;
  }
  if (run >= 0) writes.push({ position: start + run, bytes: chunk.subarray(run) });
  return writes;
}

/** Performs planned writes (positioned: the holes between them are never written). */
export async function writePlanned(handle: FileHandle, writes: readonly PlannedWrite[]): Promise<void> {
  for (const { position, bytes } of writes) {
    for (let done = 0; done < bytes.length; ) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  }
}
