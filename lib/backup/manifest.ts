// The manifest of one backup, as JSON lines: a header, one entry per path
// in comparePaths order, and a trailer holding the counts and the SHA-256
// of every line before it (a truncated or edited manifest is detected).
// Each entry holds everything needed to restore its path alone.
import { LibrsyncError } from '../errors';

export const MANIFEST_FORMAT = 'librsync-backup-manifest';
export const MANIFEST_VERSION = 1;

/** Where some bytes are: a range of a pack object written by backup `backup`. */
export interface ObjectRef {
  /** Id of the backup that wrote it (its directory in the chain). */
  backup: string;
  pack: string;
  offset: number;
  length: number;
  sha256: string;
}

/** One step of rebuilding a file: its whole bytes, or a delta against the previous step (an empty basis when first). */
export interface RecipeStep extends ObjectRef {
  kind: 'raw' | 'delta';
  /** Bytes of the version this step rebuilds: every patch is capped at it, so no step of a crafted store can explode. */
  size: number;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'deleted';

export interface ManifestEntry {
  path: string;
  type: EntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Nanoseconds since the epoch, as a decimal string (beyond 2^53). */
  mtimeNs?: string;
  ctimeNs?: string;
  ino?: string;
  dev?: string;
  size?: number;
  sha256?: string;
  /** Files: the steps that rebuild it, oldest first; empty for an empty file. */
  recipe?: RecipeStep[];
  /** Files: the signature of this content, for the next level's delta. */
  signature?: ObjectRef;
  /** Symlinks: the target. */
  target?: string;
  /** A hard link to the earlier entry at this path (same content, also kept here). */
  linkTo?: string;
  /** Whether this backup read the file (false: carried over unchanged). */
  read?: boolean;
  /** It had more than one link when backed up: restore remembers where it put it, for its other links. */
  hardLinked?: boolean;
  /** With hardLinked, on the inode's first path: its link count, so restore can forget it after its last link. */
  links?: number;
  /** The file kept changing while it was read: its next backup reads it again. */
  unstable?: boolean;
}

export interface ManifestHeader {
  format: typeof MANIFEST_FORMAT;
  version: number;
  name: string;
  chain: string;
  id: string;
  sequence: number;
  level: number;
  /** Id of the backup this one is relative to (null for level 0). */
  parent: string | null;
  started: string;
  chainStarted: string;
  blockSize: number;
  source: { path: string; kind: 'dir' | 'file'; name: string };
  exclude: string[];
}

export interface BackupCounts {
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  fifos: number;
  hardLinks: number;
  deleted: number;
  filesRead: number;
  filesUnchanged: number;
  bytesRead: number;
  /** Bytes of pack objects this backup wrote (data and signatures). */
  bytesStored: number;
  /** Total size of the files in this backup. */
  totalBytes: number;
  warnings: number;
}

export interface ManifestTrailer {
  end: true;
  finished: string;
  counts: BackupCounts;
  /** Pack objects this backup wrote, with their sizes. */
  packs: Record<string, number>;
  /** SHA-256 of every byte before this line, then of this line's other fields (as JSON, in this order). */
  sha256: string;
}

export function manifestCorrupt(where: string, why: string): LibrsyncError {
  return new LibrsyncError('BACKUP_CORRUPT', `manifest ${where} is corrupt: ${why}`);
}

const HEX64 = /^[0-9a-f]{64}$/;
const NS = /^-?\d+$/;
const TYPES: ReadonlySet<string> = new Set(['file', 'dir', 'symlink', 'fifo', 'deleted']);

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function validRef(ref: unknown, step: boolean): boolean {
  const r = ref as RecipeStep;
  return (
    !!r &&
    typeof r.backup === 'string' &&
    typeof r.pack === 'string' &&
    isCount(r.offset) &&
    isCount(r.length) &&
    HEX64.test(r.sha256) &&
    (!step || ((r.kind === 'raw' || r.kind === 'delta') && isCount(r.size)))
  );
}

/** A relative path restore may write to: no absolute path, no '.', '..' or empty component. */
export function isSafeRelativePath(path: string): boolean {
  return path.length > 0 && !path.includes('\0') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Checks an entry's shape, so the rest of the engine can trust its fields. */
export function validateEntry(value: unknown, where: string): ManifestEntry {
  const e = value as ManifestEntry;
  const bad = (why: string): never => {
    throw manifestCorrupt(where, why);
  };
  if (!e || typeof e !== 'object' || typeof e.path !== 'string' || !TYPES.has(e.type)) bad('an entry has no path or type');
  if (!(e.path === '' ? e.type === 'dir' : isSafeRelativePath(e.path))) bad(`unsafe path '${e.path}'`);
  if (e.linkTo !== undefined && !isSafeRelativePath(e.linkTo)) bad(`unsafe hard link '${e.linkTo}'`);
  if (e.links !== undefined && !isCount(e.links)) bad(`entry '${e.path}' has a malformed link count`);
  if (e.type === 'deleted') return e;
  if (!isCount(e.mode) || !isCount(e.uid) || !isCount(e.gid) || !NS.test(e.mtimeNs ?? '')) bad(`entry '${e.path}' lacks its metadata`);
  if (e.type === 'symlink' && typeof e.target !== 'string') bad(`symlink '${e.path}' has no target`);
  if (e.type === 'file') {
    if (!isCount(e.size) || !HEX64.test(e.sha256 ?? '') || !Array.isArray(e.recipe)) bad(`file '${e.path}' lacks size, hash or recipe`);
    if (!e.recipe!.every((s) => validRef(s, true))) bad(`file '${e.path}' has a malformed recipe`);
    if (e.signature !== undefined && !validRef(e.signature, false)) bad(`file '${e.path}' has a malformed signature reference`);
    if (e.size! > 0 && e.recipe!.length === 0) bad(`file '${e.path}' has data but no recipe`);
  }
  return e;
}

export function validateHeader(value: unknown, where: string): ManifestHeader {
  const h = value as ManifestHeader;
  if (!h || h.format !== MANIFEST_FORMAT) throw manifestCorrupt(where, 'no header line');
  if (h.version !== MANIFEST_VERSION) {
    throw new LibrsyncError('BACKUP_STORE_INVALID', `manifest ${where} has version ${String(h.version)}; this version reads ${MANIFEST_VERSION}`);
  }
  if (
    typeof h.name !== 'string' ||
    typeof h.chain !== 'string' ||
    typeof h.id !== 'string' ||
    !isCount(h.sequence) ||
    !isCount(h.level) ||
    !isCount(h.blockSize) ||
    typeof h.started !== 'string' ||
    !(h.parent === null || typeof h.parent === 'string')
  ) {
    throw manifestCorrupt(where, 'malformed header');
  }
  return h;
}

export function isTrailer(value: unknown): value is ManifestTrailer {
  return !!value && (value as ManifestTrailer).end === true;
}
