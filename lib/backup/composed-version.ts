// The bytes of a composed version (delta-chain.ts), in one pass: each run
// from the base version or from the chain's literal bytes. The base is
// either a stream, read once in order (the runs must use it in order:
// RunList.readsBaseInOrder), whose unused bytes are read and dropped so
// that the stream's own digest check still runs to its end, or a file
// read at the runs' positions (a checked scratch copy of the base).
import { FileHandle, open } from 'node:fs/promises';
import { RunList } from './delta-chain';
import { LiteralStore } from './literal-store';

const READ_CHUNK = 1 << 20;

export type ComposedBase =
  /** The base's bytes in order; `damaged(why)` is the error for a base of another size than `size`. */
  | { stream: AsyncIterable<Buffer>; size: number; damaged: (why: string) => Error }
  | { path: string }
  /** No base (a chain that starts with a delta against nothing): the runs are all literal. */
  | undefined;

export async function* composedBytes(runs: RunList, literals: LiteralStore, base: ComposedBase): AsyncGenerator<Buffer> {
  if (base && 'stream' in base) {
    yield* fromStream(runs, literals, base);
    return;
  }
  const handle = base ? await open(base.path, 'r') : undefined;
  try {
    for (let i = 0; i < runs.count; i++) {
      const source = runs.sources[i];
      const length = runs.runLength(i);
      if (source < 0) yield* literals.read(-source - 1, length);
      else yield* readAt(handle!, base!.path, source, length);
    }
  } finally {
    await handle?.close();
  }
}

async function* readAt(handle: FileHandle, path: string, position: number, length: number): AsyncGenerator<Buffer> {
  for (let at = position, end = position + length; at < end; ) {
    const n = Math.min(READ_CHUNK, end - at);
    const buffer = Buffer.allocUnsafe(n);
    const { bytesRead } = await handle.read(buffer, 0, n, at);
    if (bytesRead === 0) throw new Error(`internal: scratch basis ${path} ends at ${at}, before ${end}`);
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function* fromStream(runs: RunList, literals: LiteralStore, base: { stream: AsyncIterable<Buffer>; size: number; damaged: (why: string) => Error }): AsyncGenerator<Buffer> {
  const input = base.stream[Symbol.asyncIterator]();
  let chunk: Buffer = Buffer.alloc(0);
  /** Base position of chunk[0]. */
  let chunkAt = 0;
  const short = (): Error => base.damaged(`it rebuilds a version of another size than ${base.size} bytes`);
  const nextChunk = async (): Promise<boolean> => {
    const got = await input.next();
    if (got.done) return false;
    chunkAt += chunk.length;
    chunk = got.value;
    return true;
  };
  try {
    for (let i = 0; i < runs.count; i++) {
      const source = runs.sources[i];
      const length = runs.runLength(i);
      if (source < 0) {
        yield* literals.read(-source - 1, length);
        continue;
      }
      for (let at = source, end = source + length; at < end; ) {
        while (at >= chunkAt + chunk.length) if (!(await nextChunk())) throw short();
        const upTo = Math.min(end, chunkAt + chunk.length);
        yield chunk.subarray(at - chunkAt, upTo - chunkAt);
        at = upTo;
      }
    }
    // The rest is read for the stream's digest check and its size.
    while (await nextChunk());
    if (chunkAt + chunk.length !== base.size) throw short();
  } finally {
    await input.return?.();
  }
}
