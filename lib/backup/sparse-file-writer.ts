// Writers that give a rebuilt file its holes. SparseAtomicFileWriter: the
// final file, atomic as AtomicFileWriter, with exactly the data extents
// its backup recorded (bytes that fall in a hole must be zeros).
// ScratchFileWriter: an intermediate version (a basis for the next delta),
// with a hole wherever a whole block is zeros, so that rebuilding a 300 MiB
// sparse file through several levels never allocates its holes either.
import { FileHandle, open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { AtomicFileOptions, AtomicFileWriter } from '../atomic-file';
import { Extent } from '../data-extents';
import { HolePlan, writePlanned } from './hole-plan';

export class SparseAtomicFileWriter extends AtomicFileWriter {
  private readonly plan: HolePlan;

  constructor(path: string, extents: readonly Extent[], notZeros: (offset: number) => Error, options: AtomicFileOptions = {}) {
    super(path, options);
    this.plan = new HolePlan({ extents }, notZeros);
  }

  protected override async writeAll(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) await writePlanned(this.handle!, this.plan.writes(chunk));
  }

  protected override async completeContent(handle: FileHandle): Promise<void> {
    await handle.truncate(this.plan.size); // a hole at the end has no bytes written to extend the file
  }
}

export class ScratchFileWriter extends Writable {
  private handle: FileHandle | undefined;
  private readonly plan = new HolePlan('zero-blocks', () => new Error('internal: zero-blocks has no holes to check'));

  constructor(private readonly path: string) {
    super({ highWaterMark: 1 << 20 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'w', 0o600).then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    writePlanned(this.handle!, this.plan.writes(chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.handle!;
    this.handle = undefined;
    handle
      .truncate(this.plan.size)
      .then(() => handle.close())
      .then(() => callback(), (err: Error) => handle.close().catch(() => undefined).then(() => callback(err)));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    Promise.resolve(handle?.close())
      .catch(() => undefined)
      .then(() => callback(error));
  }
}
