// A sparse file's content as a stream: its data extents read with
// positioned reads, its holes given as zeros without reading them (a
// 300 MiB file with 8 KiB of data costs two small reads). A file that
// shrank meanwhile ends the stream early: the caller's byte count and
// stat after the read catch that, as for a plain read.
import { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Extent } from '../data-extents';
import { zeroChunks } from './zero-chunks';

const READ_CHUNK = 1 << 20;

export function readSkippingHoles(handle: FileHandle, extents: readonly Extent[], size: number): Readable {
  async function* content(): AsyncGenerator<Buffer> {
    let at = 0;
    for (const [offset, length] of [...extents, [size, 0] as const]) {
      yield* zeroChunks(offset - at);
      for (let position = offset; position < offset + length; ) {
        const wanted = Math.min(READ_CHUNK, offset + length - position);
        const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(wanted), 0, wanted, position);
        if (bytesRead === 0) return;
        yield buffer.subarray(0, bytesRead);
        position += bytesRead;
      }
      at = offset + length;
    }
  }
  return Readable.from(content(), { objectMode: false, highWaterMark: READ_CHUNK });
}
