// Inputs accepted wherever the API reads bytes: a file path, a Buffer or
// Uint8Array, or any Readable / async iterable of bytes.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { paramError } from './errors';

export type ByteSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** Big reads: every read is one thread-pool hop of librsync work. */
export const FILE_READ_CHUNK = 1 << 20;

// One slice per read keeps each downstream step (and any main-thread
// parsing) to a bounded amount of work.
function* slices(bytes: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += FILE_READ_CHUNK) {
    yield bytes.subarray(offset, Math.min(bytes.length, offset + FILE_READ_CHUNK));
  }
}

export function toReadable(source: ByteSource): Readable {
  if (typeof source === 'string') return createReadStream(source, { highWaterMark: FILE_READ_CHUNK });
  if (source instanceof Uint8Array) {
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return Readable.from(slices(bytes), { objectMode: false });
  }
  if (source instanceof Readable) return source;
  if (source && typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return Readable.from(source, { objectMode: false });
  }
  throw paramError('expected a file path, a Buffer/Uint8Array or a Readable stream');
}
