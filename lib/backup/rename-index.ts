// Renames: a path new to this level whose inode stood at another path of
// the previous level, a path that no longer holds it. The previous level's
// files are indexed by device and inode, read from its manifest in a second
// pass that starts at the first path that could be a rename (a level with
// no new or replaced path never pays for it). A renamed path may sort
// before or after its old one, so the index must hold the whole previous
// level: its memory is capped (renameIndexBytes), keeping the largest
// files, which are the ones worth carrying; a rename past the cap is read
// and stored as a new file.
import { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestEntry } from './manifest';

/** Default cap on the index's memory (an estimate, see entryBytes): ~40,000 files of a one-step recipe. */
export const RENAME_INDEX_BYTES = 32 << 20;

/**
 * Heap bytes an indexed entry costs: measured (Node 20, 50,000 entries
 * parsed from JSON and copied as load() does) at 437 bytes with a 20-byte
 * path and no piece, one more per path byte, ~200 more per piece (recipe
 * step or signature): 830 for a one-step recipe.
 */
export function entryBytes(entry: Pick<ManifestEntry, 'path' | 'recipe' | 'signature'>): number {
  return 420 + entry.path.length + 200 * (entry.recipe!.length + (entry.signature ? 1 : 0));
}

/** What a previous file entry lends a renamed path: its identity and its content's references. */
export type RenameOrigin = Pick<ManifestEntry, 'path' | 'type' | 'size' | 'sha256' | 'recipe' | 'signature' | 'mtimeNs' | 'ctimeNs' | 'ino' | 'dev' | 'mode' | 'unstable' | 'extents'>;

function keyOf(dev: string | undefined, ino: string): string {
  return `${dev ?? ''}:${ino}`;
}

export class RenameIndex {
  private loaded: Promise<Map<string, RenameOrigin>> | undefined;
  /** Files of the previous level left out of the index by the cap (for tests and reports). */
  dropped = 0;

  constructor(
    /** The walked tree's root: old paths are looked up under it. */
    private readonly root: string,
    /** A fresh reader of the previous level's entries (its manifest, read again). */
    private readonly previousEntries: () => AsyncIterator<ManifestEntry>,
    private readonly budgetBytes: number = RENAME_INDEX_BYTES,
  ) {}

  /**
   * The previous entry of the file now at `path` with `stat`, if it was at
   * another path that no longer holds this inode; claimed (removed) then,
   * so no second path takes it. Undefined otherwise, or past the cap.
   */
  async originOf(path: string, stat: BigIntStats): Promise<RenameOrigin | undefined> {
    this.loaded ??= this.load();
    const index = await this.loaded;
    const ino = stat.ino.toString();
    // Entries written before backups recorded the device are keyed by inode alone.
    const key = [keyOf(stat.dev.toString(), ino), keyOf(undefined, ino)].find((k) => index.has(k));
    const origin = key === undefined ? undefined : index.get(key)!;
    if (!origin || origin.path === path) return undefined;
    // Still at its old path (a hard link added, or a copy of the old path's inode that is not ours): not a rename.
    const there = await lstat(join(this.root, origin.path), { bigint: true }).catch(() => undefined);
    if (there && there.ino === stat.ino && there.dev === stat.dev) return undefined;
    index.delete(key!);
    return origin;
  }

  private async load(): Promise<Map<string, RenameOrigin>> {
    const entries = this.previousEntries();
    let kept: RenameOrigin[] = [];
    let bytes = 0;
    let seen = 0;
    // Largest files first, up to the cap; done when twice the cap is held, so each entry is sorted a few times at most.
    const trim = (): void => {
      kept.sort((a, b) => b.size! - a.size!);
      let total = 0;
      let n = 0;
      for (; n < kept.length && total + entryBytes(kept[n]) <= this.budgetBytes; n++) total += entryBytes(kept[n]);
      kept = kept.slice(0, n);
      bytes = total;
    };
    try {
      for (let next = await entries.next(); !next.done; next = await entries.next()) {
        const e = next.value;
        // An empty file costs nothing to store; a link repeats its first path's inode; an unstable one is read again anyway.
        if (e.type !== 'file' || e.ino === undefined || e.linkTo !== undefined || e.unstable || !e.size) continue;
        seen++;
        const { path, type, size, sha256, recipe, signature, mtimeNs, ctimeNs, ino, dev, mode, extents } = e;
        kept.push({ path, type, size, sha256, recipe, signature, mtimeNs, ctimeNs, ino, dev, mode, ...(extents && { extents }) });
        bytes += entryBytes(e);
        if (bytes > 2 * this.budgetBytes) trim();
      }
    } finally {
      await entries.return?.(undefined);
    }
    if (bytes > this.budgetBytes) trim();
    this.dropped = seen - kept.length;
    return new Map(kept.map((e) => [keyOf(e.dev, e.ino!), e]));
  }
}
