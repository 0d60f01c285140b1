// A pass-through that counts the bytes going by (for statistics and the
// progress display) and reports the running total to a listener.
import { Transform, TransformCallback } from 'node:stream';

export class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly onBytes?: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    callback(null, chunk);
  }
}
