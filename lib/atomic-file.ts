// A Writable that writes to a temporary file beside the target and only
// renames it into place once everything is written and fsync'ed. On any
// failure (including a full disk) the temporary file is removed and the
// target, if it existed, is left as it was. Destroyed while committing
// (an abort racing the end of a pipeline), it either stops before the
// rename or, if the rename had begun, reports `committed`: never both a
// failure and a new target.
import { randomBytes } from 'node:crypto';
import { FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { SyncBatch } from './sync-batch';

export interface AtomicFileOptions {
  /** Replace an existing target (default true). When false an existing target fails with EEXIST. */
  overwrite?: boolean;
  /** File mode for the new file (default 0o666 before umask). */
  mode?: number;
  /** Where the temporary file goes (default: beside the target); it must be on the target's file system. */
  tempPath?: string;
  /** Runs on the complete, fsync'ed temporary file just before it is renamed into place (to set its metadata); with syncBatch, before the flush, given the file's own open handle. */
  beforeRename?: (tempPath: string, handle?: FileHandle) => Promise<void>;
  /**
   * Made durable with a batch of other files instead of on its own: the
   * metadata is set while the file is still open, then it waits for the
   * batch's flush, and only then is it renamed. `device` is the file
   * system of the temporary file.
   */
  syncBatch?: { batch: SyncBatch; device: number };
}

export class AtomicFileWriter extends Writable {
  readonly path: string;
  private readonly tempPath: string;
  private readonly overwrite: boolean;
  private readonly mode: number;
  private readonly beforeRename: AtomicFileOptions['beforeRename'];
  private readonly syncBatch: AtomicFileOptions['syncBatch'];
  protected handle: FileHandle | undefined;
  private committing: Promise<void> | undefined;
  private renamed = false;

  constructor(path: string, options: AtomicFileOptions = {}) {
    super({ highWaterMark: 1 << 20 });
    this.path = path;
    this.tempPath = options.tempPath ?? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    this.overwrite = options.overwrite ?? true;
    this.mode = options.mode ?? 0o666;
    this.beforeRename = options.beforeRename;
    this.syncBatch = options.syncBatch;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.tempPath, 'wx', this.mode).then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), (err) => callback(this.named(err)));
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), (err) => callback(this.named(err)));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.committing = this.commit();
    this.committing.then(() => callback(), (err) => callback(this.named(err)));
  }

  /** A failed write or fsync (a full disk) names the file it was for, as a failed open does. */
  private named(err: NodeJS.ErrnoException): Error {
    if (err && typeof err === 'object' && err.path === undefined) err.path = this.path;
    return err;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A commit in progress is let finish (it stops before the rename if it
    // can) so that the cleanup below cannot race its rename.
    Promise.resolve(this.committing)
      .catch(() => undefined)
      .then(async () => {
        if (this.renamed) return;
        const handle = this.handle;
        this.handle = undefined;
        await handle?.close().catch(() => undefined);
        await unlink(this.tempPath).catch(() => undefined);
      })
      .then(() => callback(error));
  }

  /**
   * True once the output is in place. A writer destroyed during its
   * commit may still be: the caller then has a complete output and
   * should not report a failure (see settled()).
   */
  get committed(): boolean {
    return this.renamed;
  }

  /**
   * Resolves once the writer has closed: after a failure, once the
   * temporary file is gone. pipeline() rejects on the first error without
   * waiting for that, so callers await this before reporting the error.
   */
  settled(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.once('close', () => resolve()));
  }

  /**
   * Everything queued in one writev: one thread-pool hop and one system
   * call for the many small pieces of a pack, not one for each (libuv
   * writes at most IOV_MAX buffers a call; the rest goes round again).
   */
  protected async writeAll(chunks: Buffer[]): Promise<void> {
    const handle = this.handle!;
    let pending = chunks.filter((c) => c.length > 0);
    while (pending.length > 0) {
      const { bytesWritten } = pending.length === 1 ? await handle.write(pending[0], 0, pending[0].length) : await handle.writev(pending);
      let left = bytesWritten;
      let done = 0;
      while (done < pending.length && pending[done].length <= left) left -= pending[done++].length;
      pending = pending.slice(done);
      if (left > 0) pending[0] = pending[0].subarray(left);
    }
  }

  /** Last changes to the content once every byte is written, before the fsync (a sparse file's final size). */
  protected async completeContent(_handle: FileHandle): Promise<void> {}

  private async commit(): Promise<void> {
    const handle = this.handle!;
    await this.completeContent(handle);
    if (this.syncBatch) {
      await this.beforeRename?.(this.tempPath, handle);
      await this.syncBatch.batch.sync(handle, this.syncBatch.device);
      this.handle = undefined;
      await handle.close();
    } else {
      await handle.sync();
      this.handle = undefined;
      await handle.close();
      await this.beforeRename?.(this.tempPath);
    }
    // The last moment to back out: destroyed meanwhile, the target is not touched.
    if (this.destroyed) return;
    if (this.overwrite) {
      await rename(this.tempPath, this.path);
      this.renamed = true;
    } else {
      await link(this.tempPath, this.path); // EEXIST, atomically, if the target appeared
      this.renamed = true;
      await unlink(this.tempPath);
    }
  }
}

/** Makes the names in a directory durable (new, renamed or removed entries survive a crash). */
export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
