// Keeps, of a file's content going by, only the bytes of its data extents:
// what a raw piece of a sparse file stores (its holes are recorded as
// extents instead). The content before it, holes included, still feeds
// the file's hash and signature.
import { Transform, TransformCallback } from 'node:stream';
import { Extent } from '../data-extents';

export class ExtentFilter extends Transform {
  /** Offset in the file of the next byte to come. */
  private at = 0;
  /** The first extent not yet passed. */
  private next = 0;

  constructor(private readonly extents: readonly Extent[]) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const start = this.at;
    const end = start + chunk.length;
    this.at = end;
    while (this.next < this.extents.length) {
      const [offset, length] = this.extents[this.next];
      if (offset >= end) break;
      const from = Math.max(offset, start);
      const to = Math.min(offset + length, end);
      if (to > from) this.push(chunk.subarray(from - start, to - start));
      if (offset + length > end) break;
      this.next++;
    }
    callback();
  }
}
