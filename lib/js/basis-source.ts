// Where a TypeScript patch reads COPY bytes from: memory, or a file read
// at explicit positions (never the file position, which callers share).
import { close, closeSync, fstatSync, openSync, read } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { LibrsyncError, paramError } from '../errors';

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
    let own: number | undefined;
    for (const path of [`/proc/self/fd/${fd}`, `/dev/fd/${fd}`]) {
      try {
        own = openSync(path, 'r');
        break;
      } catch {
        // try the next way, or borrow the caller's descriptor
      }
    }
    const use = own ?? fd;
    let size: number;
    try {
      const info = fstatSync(use);
      if (!info.isFile()) throw paramError('basis must be a regular file (a seekable basis is needed)');
      size = info.size;
    } catch (err) {
      if (own !== undefined) closeSync(own);
      if (err instanceof LibrsyncError) throw err;
      throw paramError(`basisFd is not usable: ${(err as Error).message}`);
    }
    return new FileBasis(use, size, own);
  }

  /** A basis on a file this object opens and closes. */
  static async open(path: string): Promise<FileBasis> {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        throw new LibrsyncError('RS_PARAM_ERROR', 'basis must be a regular file (a seekable basis is needed)', { operation: 'patch' });
      }
      return new FileBasis(handle.fd, info.size, handle);
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
