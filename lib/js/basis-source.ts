// Where a TypeScript patch reads COPY bytes from: memory, or a file read
// at explicit positions (never the file position, which callers share).
import { fstat, read } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { LibrsyncError } from '../errors';

const fstatAsync = promisify(fstat);

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
    private readonly owned: FileHandle | undefined,
  ) {}

  /** A basis on a descriptor the caller keeps open for the job's lifetime. */
  static async fromFd(fd: number): Promise<FileBasis> {
    const info = await fstatAsync(fd);
    if (!info.isFile()) {
      throw new LibrsyncError('RS_PARAM_ERROR', 'basis must be a regular file (a seekable basis is needed)', { operation: 'patch' });
    }
    return new FileBasis(fd, info.size, undefined);
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
    this.owned?.close().catch(() => undefined);
  }
}
