// Identical files read by one level are stored once: a file with the size
// and SHA-256 of one this level stored already takes that one's recipe and
// signature. A small file's outputs wait in memory for their turn, so a
// copy's are dropped unwritten. A large file streams into the packs as it
// is read, so it is first hashed alone, but only when a file of the same
// size was stored already: a level of distinct sizes reads each file once,
// and only a large file of the same size as a stored one but other
// content is read twice. Memory is capped (dedupIndexBytes): past the cap,
// files are no longer remembered and later copies of them are stored again.
import { ManifestEntry, ObjectRef, RecipeStep } from './manifest';

/** Default cap on the index's memory (an estimate, see recordBytes): ~25,000 stored files. */
export const DEDUP_INDEX_BYTES = 16 << 20;
/** Smaller files are not remembered: a copy costs about as much to store again as to remember. */
export const DEDUP_MIN_BYTES = 1024;

/** Where a stored content is: what a copy's entry points at. */
export interface StoredContent {
  recipe: RecipeStep[];
  signature?: ObjectRef;
}

/** Heap bytes of one remembered file: measured (Node 20, 100,000 records) at 663 with a one-step recipe and a signature, ~200 a piece. */
function recordBytes(content: StoredContent): number {
  return 260 + 200 * (content.recipe.length + (content.signature ? 1 : 0));
}

export class LevelDedup {
  private readonly byContent = new Map<string, StoredContent>();
  /** Sizes of the remembered files. */
  private readonly sizes = new Set<number>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number = DEDUP_INDEX_BYTES) {}

  /** Whether a file of this size was stored by this level (then a large one is worth hashing first). */
  hasSize(size: number): boolean {
    return this.sizes.has(size);
  }

  find(size: number, sha256: string): StoredContent | undefined {
    return this.byContent.get(`${size}:${sha256}`);
  }

  /** A file this level read and stored: later copies of it point at its pieces. */
  remember(entry: ManifestEntry): void {
    const size = entry.size!;
    if (size < DEDUP_MIN_BYTES || entry.unstable) return;
    const key = `${size}:${entry.sha256}`;
    if (this.byContent.has(key)) return;
    const content: StoredContent = { recipe: entry.recipe!, signature: entry.signature };
    const cost = recordBytes(content);
    if (this.bytes + cost > this.budgetBytes) return;
    this.bytes += cost;
    this.byContent.set(key, content);
    this.sizes.add(size);
  }
}
