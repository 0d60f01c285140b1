// An object written encrypted: its header, then each segment sealed as
// soon as it is known whether another one follows. So it buffers at most
// one segment (and the chunk being taken in) before passing bytes to the
// store's own writer, whose object appears only once this one finishes.
import { Writable } from 'node:stream';
import { ObjectWriter } from '../store';
import { drained, endAndFinish } from '../stream-waits';
import { SEGMENT_BYTES, newObjectHeader, sealSegment } from './object-cipher';

export class EncryptingWriter extends Writable implements ObjectWriter {
  private readonly key: Buffer;
  private header: Buffer | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(
    private readonly inner: ObjectWriter,
    objectsKey: Buffer,
    /** The key the object is stored under, as the engine names it: bound into every segment. */
    private readonly logicalKey: string,
  ) {
    super({ highWaterMark: SEGMENT_BYTES });
    const made = newObjectHeader(objectsKey);
    this.key = made.key;
    this.header = made.header;
    inner.on('error', () => undefined); // reported through this writer's writes and end
  }

  private async pass(bytes: Buffer): Promise<void> {
    if (this.header) {
      const header = this.header;
      this.header = undefined;
      bytes = Buffer.concat([header, bytes]);
    }
    if (!this.inner.write(bytes)) await drained(this.inner);
  }

  /** The first `n` pending bytes, taken out. */
  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = n < all.length ? [all.subarray(n)] : [];
    this.pendingBytes -= n;
    return all.subarray(0, n);
  }

  private async sealFull(): Promise<void> {
    // Strictly more than a segment: this one is not the last.
    while (this.pendingBytes > SEGMENT_BYTES) await this.pass(sealSegment(this.key, this.logicalKey, this.index++, false, this.take(SEGMENT_BYTES)));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.sealFull().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const last = sealSegment(this.key, this.logicalKey, this.index++, true, this.take(this.pendingBytes));
    this.pass(last)
      .then(() => endAndFinish(this.inner))
      .then(
        () => callback(),
        (err: Error) => void this.inner.settled().then(() => callback(err)),
      );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pending = [];
    this.inner.destroy();
    void this.inner.settled().then(() => callback(error));
  }

  settled(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.once('close', () => resolve()));
  }
}
