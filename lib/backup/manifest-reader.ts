// Reads a manifest from the store one line at a time (never whole), checking
// its shape, its order and, at the end, its digest: any damage, including
// truncation, is a BACKUP_CORRUPT error naming the manifest.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ManifestEntry, ManifestHeader, ManifestTrailer, isTrailer, manifestCorrupt, validTrailer, validateEntry, validateHeader } from './manifest';
import { comparePaths } from './path-order';

/** Lines of bytes, each with its newline, from a stream of chunks. */
async function* lines(input: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl + 1);
      yield pending.length ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) yield Buffer.concat(pending); // no newline: the trailer check fails below
}

function parse(line: Buffer, where: string): unknown {
  try {
    return JSON.parse(line.toString('utf8'));
  } catch {
    throw manifestCorrupt(where, 'a line is not valid JSON');
  }
}

export class ManifestReader {
  header: ManifestHeader | undefined;
  trailer: ManifestTrailer | undefined;

  constructor(
    private readonly input: Readable,
    /** Names the manifest in errors. */
    private readonly where: string,
  ) {}

  /** The entries in order; throws BACKUP_CORRUPT on any damage (at the latest when the trailer is reached). */
  async *entries(): AsyncGenerator<ManifestEntry> {
    const digest = createHash('sha256');
    let previous: string | undefined;
    try {
      for await (const line of lines(this.input)) {
        const value = parse(line, this.where);
        if (!this.header) {
          this.header = validateHeader(value, this.where);
        } else if (isTrailer(value)) {
          if (this.trailer) throw manifestCorrupt(this.where, 'lines after the trailer');
          if (line[line.length - 1] !== 10) throw manifestCorrupt(this.where, 'truncated');
          const { sha256, ...fields } = value;
          digest.update(JSON.stringify(fields));
          if (sha256 !== digest.digest('hex')) throw manifestCorrupt(this.where, 'its digest does not match its contents');
          if (!validTrailer(value)) throw manifestCorrupt(this.where, 'malformed trailer');
          this.trailer = value;
          continue;
        } else {
          if (this.trailer) throw manifestCorrupt(this.where, 'lines after the trailer');
          const entry = validateEntry(value, this.where);
          if (previous !== undefined && comparePaths(previous, entry.path) >= 0) {
            throw manifestCorrupt(this.where, `'${entry.path}' is out of order`);
          }
          previous = entry.path;
          digest.update(line);
          yield entry;
          continue;
        }
        digest.update(line);
      }
      if (!this.header) throw manifestCorrupt(this.where, 'empty');
      if (!this.trailer) throw manifestCorrupt(this.where, 'truncated (no trailer)');
    } finally {
      this.input.destroy();
    }
  }

  /** Reads to the end (checking everything) and returns the header and trailer. */
  async check(): Promise<{ header: ManifestHeader; trailer: ManifestTrailer }> {
    for await (const _ of this.entries()) void _;
    return { header: this.header!, trailer: this.trailer! };
  }
}
