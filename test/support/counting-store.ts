// A local store that records every read, to prove a restore touched only
// the pieces it needed.
import { Readable } from 'node:stream';
import { LocalDirectoryStore } from '../../lib/backup';
import { ByteRange } from '../../lib/backup/store';

export class CountingStore extends LocalDirectoryStore {
  readonly reads: { key: string; start: number; end?: number }[] = [];

  override readObject(key: string, range?: ByteRange): Readable {
    this.reads.push({ key, start: range?.start ?? 0, end: range?.end });
    return super.readObject(key, range);
  }

  /** Reads of pack objects (data and signatures), not manifests. */
  packReads(): { key: string; start: number; end?: number }[] {
    return this.reads.filter((r) => r.key.endsWith('.pack'));
  }
}
