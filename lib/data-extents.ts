// Where an open file's data is: its data extents, found by the addon with
// lseek(SEEK_DATA/SEEK_HOLE) on the thread pool; between them are holes,
// which read as zeros and take no space. Without the addon (or where the
// file system cannot say) a file is all data: one extent, the whole size.
import { fromNativeError } from './errors';
import { nativeBinding, nativeLoadReason } from './native-binding';

/** A run of data: [offset, length], length > 0. */
export type Extent = readonly [offset: number, length: number];

/**
 * At most this many extents a file: past it, the rest of the file counts
 * as data. A manifest line then holds at most about 2 x 80 KiB of them
 * (the entry and its recipe), however fragmented the file.
 */
export const MAX_EXTENTS = 4096;

/** Errors that mean "cannot tell here", not a failure of the file: all data then. */
const NO_ANSWER: ReadonlySet<string> = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * The data extents of bytes [0, size) of `fd` (sorted, non-overlapping).
 * Moves the descriptor's file position: read it with positioned reads.
 * Errors are Node-style (EBADF, ESPIPE...); bad arguments RS_PARAM_ERROR.
 */
export function dataExtents(fd: number, size: number, maxExtents = MAX_EXTENTS): Promise<Extent[]> {
  if (nativeLoadReason() !== undefined) return Promise.resolve(size > 0 ? [[0, size]] : []);
  return new Promise((resolve, reject) => {
    const done = (err: NodeJS.ErrnoException | null, flat: Float64Array): void => {
      if (err) {
        if (err.code !== undefined && NO_ANSWER.has(err.code)) resolve(size > 0 ? [[0, size]] : []);
        else reject(err);
        return;
      }
      const extents: Extent[] = [];
      for (let i = 0; i < flat.length; i += 2) extents.push([flat[i], flat[i + 1]]);
      resolve(extents);
    };
    try {
      nativeBinding().dataExtents(fd, size, maxExtents, done);
    } catch (err) {
      reject(fromNativeError(err, 'dataExtents'));
    }
  });
}

/** The extents cut at `size` (a file read to fewer bytes than it had when they were found). */
export function clipExtents(extents: readonly Extent[], size: number): Extent[] {
  return extents.filter(([offset]) => offset < size).map(([offset, length]) => [offset, Math.min(length, size - offset)]);
}

/** Bytes of data the extents hold. */
export function extentBytes(extents: readonly Extent[]): number {
  let total = 0;
  for (const [, length] of extents) total += length;
  return total;
}

/** Whether the extents leave holes in a file of `size` bytes. */
export function hasHoles(extents: readonly Extent[], size: number): boolean {
  return extentBytes(extents) < size;
}
