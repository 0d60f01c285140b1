// The zeros a hole reads as, in chunks of at most 1 MiB, all views of one
// buffer allocated once: a 300 MiB hole costs no allocation, and hashing
// it is a third faster than hashing fresh buffers. Nothing downstream may
// write into a chunk it is given (no stream of ours does).
const ZEROS = Buffer.alloc(1 << 20);

export function* zeroChunks(length: number): Generator<Buffer> {
  for (let left = length; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
}

/** Whether bytes [start, end) of `chunk` are all zeros. */
export function isZeros(chunk: Buffer, start = 0, end = chunk.length): boolean {
  for (let at = start; at < end; at += ZEROS.length) {
    const to = Math.min(end, at + ZEROS.length);
    if (!chunk.subarray(at, to).equals(ZEROS.subarray(0, to - at))) return false;
  }
  return true;
}
