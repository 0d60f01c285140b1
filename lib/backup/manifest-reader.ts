// Reads a manifest from the store one line at a time (never whole), checking
// its shape, its order and, at the end, its digest: any damage, including
// truncation, is a BACKUP_CORRUPT error naming the manifest. Entries a
// version-2 manifest inherits come from the parent backup's reader, which
// is then read to its end too, so its digest vouches for what was taken.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ManifestEntry,
  ManifestHeader,
  ManifestTrailer,
  inheritedEntry,
  isTrailer,
  manifestCorrupt,
  resolveInherited,
  validTrailer,
  validateEntry,
  validateHeader,
} from './manifest';
import { manifestText } from './manifest-frames';
import { comparePaths } from './path-order';
import { parseBackupId } from './store-keys';

/** The reader of a backup's parent, by id (the same name and chain). */
export type ParentOpener = (parentId: string) => ManifestReader;

/** Lines of bytes, each with its newline, from a stream of chunks. */
async function* lines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of input) {
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

  private parent: { reader: ManifestReader; entries: AsyncGenerator<ManifestEntry>; next: ManifestEntry | undefined } | undefined;

  constructor(
    private readonly input: Readable,
    /** Names the manifest in errors. */
    private readonly where: string,
    /** Opens the parent's reader, for the entries a version-2 manifest inherits. */
    private readonly openParent?: ParentOpener,
  ) {}

  /** The entries in order; throws BACKUP_CORRUPT on any damage (at the latest when the trailer is reached). */
  async *entries(): AsyncGenerator<ManifestEntry> {
    const digest = createHash('sha256');
    let previous: string | undefined;
    try {
      for await (const line of lines(manifestText(this.input, this.where))) {
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
          const inherited = this.header.version >= 2 ? inheritedEntry(value, this.where) : undefined;
          const entry = inherited ? await this.inherit(inherited.path) : validateEntry(value, this.where);
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
      // What was inherited is only as good as the parent's digest, checked at its end.
      if (this.parent) for (let next = await this.parent.entries.next(); !next.done; next = await this.parent.entries.next());
    } finally {
      this.input.destroy();
      await this.parent?.entries.return(undefined);
    }
  }

  /** The parent's entry at `path`, as this backup's. */
  private async inherit(path: string): Promise<ManifestEntry> {
    const header = this.header!;
    if (header.parent === null || !this.openParent) throw manifestCorrupt(this.where, `'${path}' is inherited, but there is no parent backup`);
    if (!this.parent) {
      // Each parent comes earlier in its chain: a crafted loop of parents ends here, not in endless reads.
      const parentSequence = parseBackupId(header.parent)?.sequence;
      if (parentSequence === undefined || parentSequence >= header.sequence) {
        throw manifestCorrupt(this.where, `its parent ${header.parent} does not come before it (sequence ${header.sequence})`);
      }
      const reader = this.openParent(header.parent);
      const entries = reader.entries();
      const first = await entries.next();
      const ph = reader.header!;
      if (ph.name !== header.name || ph.chain !== header.chain || ph.id !== header.parent || ph.sequence !== parentSequence) {
        throw manifestCorrupt(this.where, `its parent's manifest names ${ph.name}/${ph.chain}/${ph.id}, not ${header.name}/${header.chain}/${header.parent}`);
      }
      this.parent = { reader, entries, next: first.done ? undefined : first.value };
    }
    const parent = this.parent;
    while (parent.next && comparePaths(parent.next.path, path) < 0) {
      const next = await parent.entries.next();
      parent.next = next.done ? undefined : next.value;
    }
    if (!parent.next || parent.next.path !== path || parent.next.type === 'deleted') {
      throw manifestCorrupt(this.where, `'${path}' is inherited, but its parent ${header.parent} has no such entry`);
    }
    return resolveInherited(parent.next);
  }

  /** Reads to the end (checking everything) and returns the header and trailer. */
  async check(): Promise<{ header: ManifestHeader; trailer: ManifestTrailer }> {
    for await (const _ of this.entries()) void _;
    return { header: this.header!, trailer: this.trailer! };
  }
}
