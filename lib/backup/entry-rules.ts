// What makes a manifest restorable, beyond the shape of each line: the
// rules restore applies before it writes anything, and verify applies to
// every backup, so that a store verify passes is a store restore accepts.
// They are checked one entry at a time, in manifest order, with memory for
// the directories on the current path and the hard-linked files whose
// other links are still to come.
//
// - The first entry is SOURCE: the root directory, or the one file.
// - Every other path lies in the directory entry just above it: nothing is
//   ever written below a symlink, a file or a path the manifest never made.
// - A hard link names an earlier hard-linked regular file of this manifest.
// - A recipe's pieces come from this backup's bases, oldest first, each
//   inside a pack its backup recorded; only the first may be raw; each
//   delta rebuilds the size the next step starts from, and the last the
//   entry's own size.
import { extentBytes } from '../data-extents';
import { LibrsyncError } from '../errors';
import { BackupInfo } from './catalog';
import { ManifestEntry, ObjectRef, manifestCorrupt } from './manifest';
import { isWithin } from './path-order';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export class EntryRules {
  /** Directory entries on the current path, outermost first. */
  private readonly openDirs: string[] = [];
  /** Hard-linked files whose other links are still to come, with how many. */
  private readonly linkGroups = new Map<string, number>();
  private seen = 0;
  private readonly kind: 'dir' | 'file';

  constructor(
    /** The manifest's key, for messages. */
    private readonly where: string,
    private readonly backup: BackupInfo,
    /** The backup's ancestry by id, level 0 first, ending with itself. */
    private readonly bases: ReadonlyMap<string, BackupInfo>,
  ) {
    this.kind = backup.header.source.kind;
    const chainKind = bases.values().next().value?.header.source.kind ?? this.kind;
    if (chainKind !== this.kind) {
      throw manifestCorrupt(where, `its source kind (${this.kind}) is not its chain's (${chainKind})`);
    }
  }

  /** Throws BACKUP_CORRUPT (or BACKUP_CHAIN_BROKEN) when `entry` cannot be restored as it stands. */
  check(entry: ManifestEntry): void {
    if (entry.type === 'deleted') return;
    this.checkPlace(entry);
    if (entry.type === 'file') {
      this.checkLinks(entry);
      this.checkRecipe(entry);
    }
  }

  private corrupt(why: string): LibrsyncError {
    return manifestCorrupt(this.where, why);
  }

  private checkPlace(entry: ManifestEntry): void {
    const first = this.seen++ === 0;
    if (this.kind === 'file') {
      if (!first) throw this.corrupt(`'${entry.path}': the backup of a single file holds one path`);
      if (entry.type !== 'file' || entry.path.includes('/')) throw this.corrupt(`'${entry.path}': the backup of a single file holds that file at its root`);
      return;
    }
    if (first !== (entry.path === '')) throw this.corrupt(first ? `it does not start with the root directory` : `a second root directory`);
    if (first) {
      this.openDirs.push('');
      return;
    }
    while (this.openDirs.length && !isWithin(entry.path, this.openDirs[this.openDirs.length - 1])) this.openDirs.pop();
    const parent = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : '';
    if (this.openDirs[this.openDirs.length - 1] !== parent) throw this.corrupt(`'${entry.path}' is not inside a directory of the backup`);
    if (entry.type === 'dir') this.openDirs.push(entry.path);
  }

  private checkLinks(entry: ManifestEntry): void {
    if (entry.linkTo !== undefined) {
      const pending = this.linkGroups.get(entry.linkTo);
      if (pending === undefined || entry.hardLinked !== true) {
        throw this.corrupt(`'${entry.path}' is a hard link to '${entry.linkTo}', which is not an earlier hard-linked file of this backup`);
      }
      if (pending <= 1) this.linkGroups.delete(entry.linkTo);
      else this.linkGroups.set(entry.linkTo, pending - 1);
    } else if (entry.hardLinked) {
      // Manifests written before link counts were recorded: the group lasts to the end.
      this.linkGroups.set(entry.path, entry.links === undefined ? Infinity : entry.links - 1);
    }
  }

  /** The backup that wrote `ref`, which must be a base of this one, and the pack it names must hold it. */
  private owner(entry: ManifestEntry, ref: ObjectRef): BackupInfo {
    const owner = this.bases.get(ref.backup);
    if (!owner) throw new LibrsyncError('BACKUP_CHAIN_BROKEN', `'${entry.path}' refers to ${ref.backup}, which is not a base of ${this.backup.id}`);
    const packSize = Object.prototype.hasOwnProperty.call(owner.packs, ref.pack) ? owner.packs[ref.pack] : undefined;
    if (packSize === undefined || ref.offset + ref.length > packSize) {
      throw new LibrsyncError('BACKUP_CORRUPT', `'${entry.path}' refers to bytes outside ${ref.backup}/${ref.pack}`);
    }
    return owner;
  }

  private checkRecipe(entry: ManifestEntry): void {
    const recipe = entry.recipe!;
    if (recipe.length === 0 && (entry.size !== 0 || entry.sha256 !== EMPTY_SHA256)) throw this.corrupt(`file '${entry.path}' has data but no recipe`);
    let sequence = -1;
    recipe.forEach((step, i) => {
      const owner = this.owner(entry, step);
      if (owner.sequence <= sequence) throw this.corrupt(`file '${entry.path}' has a recipe out of order (${step.backup} after a later backup)`);
      sequence = owner.sequence;
      // A sparse raw piece holds its data extents' bytes only (its raw bytes, when compressed).
      if (step.kind === 'raw' && (i > 0 || (step.rawLength ?? step.length) !== (step.extents ? extentBytes(step.extents) : step.size))) throw this.corrupt(`file '${entry.path}' has a recipe whose raw data is not its first step, or not of its size`);
    });
    if (recipe.length > 0 && recipe[recipe.length - 1].size !== entry.size) {
      throw this.corrupt(`file '${entry.path}' has size ${entry.size}, but its recipe rebuilds ${recipe[recipe.length - 1].size} bytes`);
    }
    if (entry.signature) this.owner(entry, entry.signature);
  }
}
