// Reads a byte range of a store file with positioned reads. A missing file
// or one shorter than the range is damage to the store, reported as such
// (BACKUP_OBJECT_MISSING / BACKUP_CORRUPT) rather than as a plain ENOENT.
import { FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LibrsyncError } from '../errors';
import { ByteRange } from './store';

const READ_CHUNK = 1 << 20;

export class FileRangeReader extends Readable {
  private handle: FileHandle | undefined;
  private position: number;
  private readonly end: number | undefined;

  constructor(
    private readonly path: string,
    private readonly key: string,
    range?: ByteRange,
  ) {
    super({ highWaterMark: READ_CHUNK });
    this.position = range?.start ?? 0;
    this.end = range?.end;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'r').then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') callback(new LibrsyncError('BACKUP_OBJECT_MISSING', `store object ${this.key} is missing`));
        else callback(err);
      },
    );
  }

  override _read(): void {
    const wanted = this.end === undefined ? READ_CHUNK : Math.min(READ_CHUNK, this.end - this.position);
    if (wanted <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(wanted);
    this.handle!.read(buffer, 0, wanted, this.position).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          if (this.end !== undefined) {
            this.destroy(new LibrsyncError('BACKUP_CORRUPT', `store object ${this.key} ends at byte ${this.position}, before ${this.end}`));
          } else {
            this.push(null);
          }
          return;
        }
        this.position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
      },
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    Promise.resolve(handle?.close())
      .catch(() => undefined)
      .then(() => callback(error));
  }
}
