// Reading an encrypted object: whole, as one stream from the store; or a
// byte range, fetching only the segments that hold it. Each segment is
// authenticated before any of its bytes are passed on, and held alone in
// memory (with the store's chunk being cut into segments).
import { Readable } from 'node:stream';
import { ByteQueue } from '../byte-queue';
import { ByteRange } from '../store';
import { HEADER_BYTES, SEGMENT_BYTES, TAG_BYTES, keyOfHeader, objectCorrupt, openSegment, sealedLength, sealedOffset } from './object-cipher';

/** Every plaintext byte of an object, from the stream of all its encrypted bytes. */
export async function* decryptWhole(sealed: Readable, objectsKey: Buffer, logicalKey: string): AsyncGenerator<Buffer> {
  const queue = new ByteQueue();
  let key: Buffer | undefined;
  let index = 0;
  for await (const chunk of sealed) {
    queue.push(chunk as Buffer);
    if (!key) {
      if (queue.length < HEADER_BYTES) continue;
      key = keyOfHeader(objectsKey, queue.take(HEADER_BYTES), logicalKey);
    }
    // Only a segment with bytes after it is surely not the last.
    while (queue.length > SEGMENT_BYTES + TAG_BYTES) yield openSegment(key, logicalKey, index++, false, queue.take(SEGMENT_BYTES + TAG_BYTES));
  }
  key ??= keyOfHeader(objectsKey, queue.take(queue.length), logicalKey);
  yield openSegment(key, logicalKey, index, true, queue.take(queue.length));
}

/**
 * Plaintext bytes [range.start, range.end) of an object of `plainSize`
 * bytes whose key is `key`, from its segments `read` fetches (a ranged read
 * of the encrypted object).
 */
export async function* decryptRange(
  read: (range: Required<ByteRange>) => Readable,
  key: Buffer,
  logicalKey: string,
  plainSize: number,
  range: ByteRange,
): AsyncGenerator<Buffer> {
  const end = range.end ?? plainSize;
  if (end > plainSize) throw objectCorrupt(logicalKey, `ends at byte ${plainSize}, before ${end}`);
  if (range.start >= end) return;
  const first = Math.floor(range.start / SEGMENT_BYTES);
  const lastWanted = Math.floor((end - 1) / SEGMENT_BYTES);
  const lastOfObject = Math.max(0, Math.ceil(plainSize / SEGMENT_BYTES) - 1);
  const queue = new ByteQueue();
  let index = first;
  const open = (): Buffer => {
    const sealed = queue.take(sealedLength(index, plainSize));
    const plain = openSegment(key, logicalKey, index, index === lastOfObject, sealed);
    const base = index * SEGMENT_BYTES;
    index++;
    return plain.subarray(Math.max(0, range.start - base), Math.min(plain.length, end - base));
  };
  for await (const chunk of read({ start: sealedOffset(first), end: sealedOffset(lastWanted) + sealedLength(lastWanted, plainSize) })) {
    queue.push(chunk as Buffer);
    while (index <= lastWanted && queue.length >= sealedLength(index, plainSize)) yield open();
  }
  if (index <= lastWanted) throw objectCorrupt(logicalKey, `is truncated inside segment ${index}`);
}
