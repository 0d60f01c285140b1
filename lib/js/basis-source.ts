// Where a TypeScript patch reads COPY bytes from: memory, or a file read
// at explicit positions (never the file position, which callers share).
import { Stats, close, constants, fstatSync, openSync, read, readFileSync, readSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { LibrsyncError, paramError } from '../errors';

/**
 * How a basis is opened: O_NONBLOCK so that a FIFO with no writer is
 * opened (and then refused) instead of waiting for a writer for ever. It
 * changes nothing for files and block devices.
 */
export const BASIS_OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

const NOT_SEEKABLE = 'basis must be a regular file or a block device';

/** The size of a basis on `fd`: regular files and block devices only, as the native backend. */
function seekableSize(fd: number, info: Stats): number {
  if (info.isFile()) return info.size;
  if (info.isBlockDevice()) return sysfsDeviceSize(info.rdev) ?? deviceSize(fd);
  throw new LibrsyncError('RS_PARAM_ERROR', NOT_SEEKABLE, { operation: 'patch' });
}

/**
 * A block device's size from Linux's sysfs (512-byte sectors), without
 * touching the disk; undefined elsewhere.
 */
function sysfsDeviceSize(rdev: number): number | undefined {
  const dev = BigInt(rdev); // glibc's encoding of major and minor in dev_t
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  try {
    const sectors = Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'latin1').trim());
    return Number.isSafeInteger(sectors) && sectors >= 0 ? sectors * 512 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A block device's size where sysfs cannot tell (fstat says 0 and Node
 * has no lseek): the first
 * position a one-byte read finds nothing at, by doubling then bisecting.
 */
export function deviceSize(fd: number): number {
  const probe = new Uint8Array(1);
  const readable = (position: number): boolean => readSync(fd, probe, 0, 1, position) === 1;
  if (!readable(0)) return 0;
  let low = 0; // readable
  let high = 1; // not known readable until tested
  while (readable(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = low + Math.floor((high - low) / 2);
    if (readable(mid)) low = mid;
    else high = mid;
  }
  return low + 1;
}

export interface BasisSource {
  readonly size: number;
  /** Copies up to `length` bytes from `position` into target[offset..]; resolves how many. */
  read(target: Uint8Array, offset: number, length: number, position: number): number | Promise<number>;
  close(): void;
}

export class MemoryBasis implements BasisSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }

  read(target: Uint8Array, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.size - position));
    target.set(this.bytes.subarray(position, position + n), offset);
    return n;
  }

  close(): void {}
}

export class FileBasis implements BasisSource {
  private constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly owned: FileHandle | number | undefined,
  ) {}

  /**
   * A basis on the caller's descriptor. Like the native job's dup(), it
   * reopens the file through /proc/self/fd or /dev/fd, so the caller may
   * close theirs at once; where neither exists it reads the caller's.
   */
  static fromFd(fd: number): FileBasis {
    // Checked on the caller's descriptor before anything is reopened: a
    // FIFO is never opened again (that could wait for a writer).
    let size: number;
    try {
      size = seekableSize(fd, fstatSync(fd));
    } catch (err) {
      if (err instanceof LibrsyncError) throw err;
      throw paramError(`basisFd is not usable: ${(err as Error).message}`);
    }
    let own: number | undefined;
    for (const path of [`/proc/self/fd/${fd}`, `/dev/fd/${fd}`]) {
      try {
        own = openSync(path, BASIS_OPEN_FLAGS);
        break;
      } catch {
        // try the next way, or borrow the caller's descriptor
      }
    }
    return new FileBasis(own ?? fd, size, own);
  }

  /** A basis on a file this object opens and closes. */
  static async open(path: string): Promise<FileBasis> {
    const handle = await open(path, BASIS_OPEN_FLAGS);
    try {
      return new FileBasis(handle.fd, seekableSize(handle.fd, await handle.stat()), handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      read(this.fd, target, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
    });
  }

  close(): void {
    if (typeof this.owned === 'number') close(this.owned, () => undefined);
    else this.owned?.close().catch(() => undefined);
  }
}
