// The other way from ExtentFilter: a sparse raw piece's bytes (its data
// extents, one after another) back to the file's whole content, zeros in
// the holes. A piece holding more or fewer bytes than its extents say is
// damage. Zeros are produced as the reader takes them (backpressure), never
// a whole hole at once.
import { Duplex } from 'node:stream';
import { Extent } from '../data-extents';
import { zeroChunks } from './zero-chunks';

export function expandExtents(extents: readonly Extent[], size: number, damaged: (why: string) => Error): Duplex {
  return Duplex.from(async function* (pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let at = 0;
    let next = 0;
    for await (const piece of pieces) {
      for (let used = 0; used < piece.length; ) {
        if (next === extents.length) throw damaged('it holds more bytes than its extents');
        const [offset, length] = extents[next];
        if (at < offset) {
          yield* zeroChunks(offset - at);
          at = offset;
        }
        const take = Math.min(offset + length - at, piece.length - used);
        yield piece.subarray(used, used + take);
        used += take;
        at += take;
        if (at === offset + length) next++;
      }
    }
    if (next < extents.length) throw damaged('it holds fewer bytes than its extents');
    yield* zeroChunks(size - at);
  });
}
