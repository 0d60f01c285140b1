// Streams a manifest into a store object: header, entries (which must come
// in comparePaths order), then the trailer with the digest of all of it.
// The object becomes visible only when finish() completes: the commit.
import { createHash } from 'node:crypto';
import { paramError } from '../errors';
import { ManifestEntry, ManifestHeader, ManifestTrailer } from './manifest';
import { comparePaths } from './path-order';
import { ObjectWriter } from './store';
import { drained, endAndFinish } from './stream-waits';

export class ManifestWriter {
  private readonly digest = createHash('sha256');
  private lastPath: string | undefined;
  bytes = 0;

  constructor(
    private readonly output: ObjectWriter,
    header: ManifestHeader,
  ) {
    this.output.on('error', () => undefined); // reported by write() / finish()
    this.line(header);
  }

  async add(entry: ManifestEntry): Promise<void> {
    if (this.lastPath !== undefined && comparePaths(this.lastPath, entry.path) >= 0) {
      throw paramError(`manifest entries out of order: '${entry.path}' after '${this.lastPath}'`);
    }
    this.lastPath = entry.path;
    // A manifest that can no longer be written (a full disk) stops the backup now, not at its commit.
    if (this.output.errored) throw this.output.errored;
    if (!this.line(entry)) await drained(this.output);
  }

  /** Writes the trailer and waits until the manifest is durable under its key. */
  async finish(trailer: Omit<ManifestTrailer, 'sha256'>): Promise<void> {
    // The digest covers the trailer's own fields too (counts, packs, times).
    this.digest.update(JSON.stringify(trailer));
    const text = `${JSON.stringify({ ...trailer, sha256: this.digest.digest('hex') })}\n`;
    this.bytes += Buffer.byteLength(text);
    try {
      await endAndFinish(this.output, text);
    } catch (err) {
      await this.output.settled();
      throw err;
    }
  }

  /** Drops the manifest (nothing becomes visible). */
  async abandon(): Promise<void> {
    this.output.destroy();
    await this.output.settled();
  }

  private line(value: object): boolean {
    const text = Buffer.from(`${JSON.stringify(value)}\n`);
    this.digest.update(text);
    this.bytes += text.length;
    return this.output.write(text);
  }
}
