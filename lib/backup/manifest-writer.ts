// Streams a manifest into a store object: header, entries (which must come
// in comparePaths order), then the trailer with the digest of all of it.
// The object becomes visible only when finish() completes: the commit.
// Version 2: the lines go out in frames (manifest-frames.ts), the header's
// and the trailer's stored as they are so that list reads them by range,
// the entries' compressed; an entry equal to the parent's at its path is
// written as inherited.
import { createHash } from 'node:crypto';
import { paramError } from '../errors';
import { CompressionMode } from './compression';
import { ManifestEntry, ManifestHeader, ManifestTrailer, inheritsFrom } from './manifest';
import { FrameWriter } from './manifest-frames';
import { comparePaths } from './path-order';
import { ObjectWriter } from './store';

export class ManifestWriter {
  private readonly digest = createHash('sha256');
  private readonly frames: FrameWriter;
  private lastPath: string | undefined;
  /** Entries written as inherited from the parent (for tests and reports). */
  inherited = 0;

  constructor(
    private readonly output: ObjectWriter,
    header: ManifestHeader,
    compression: CompressionMode,
  ) {
    this.output.on('error', () => undefined); // reported by add() / finish()
    this.frames = new FrameWriter(output, compression);
    this.frames.sealed(this.line(header));
  }

  /** Bytes of the manifest object so far (as stored). */
  get bytes(): number {
    return this.frames.storedBytes;
  }

  /** Adds an entry; `parent` is the parent backup's entry at its path (if any), which it may inherit. */
  async add(entry: ManifestEntry, parent?: ManifestEntry): Promise<void> {
    if (this.lastPath !== undefined && comparePaths(this.lastPath, entry.path) >= 0) {
      throw paramError(`manifest entries out of order: '${entry.path}' after '${this.lastPath}'`);
    }
    this.lastPath = entry.path;
    // A manifest that can no longer be written (a full disk) stops the backup now, not at its commit.
    if (this.output.errored) throw this.output.errored;
    const inherit = inheritsFrom(entry, parent);
    if (inherit) this.inherited++;
    await this.frames.add(this.line(inherit ? { path: entry.path, same: true } : entry));
  }

  /** Writes the trailer and waits until the manifest is durable under its key. */
  async finish(trailer: Omit<ManifestTrailer, 'sha256'>): Promise<void> {
    // The digest covers the trailer's own fields too (counts, packs, times).
    this.digest.update(JSON.stringify(trailer));
    const text = Buffer.from(`${JSON.stringify({ ...trailer, sha256: this.digest.digest('hex') })}\n`);
    try {
      await this.frames.finish(text);
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

  private line(value: object): Buffer {
    const text = Buffer.from(`${JSON.stringify(value)}\n`);
    this.digest.update(text);
    return text;
  }
}
