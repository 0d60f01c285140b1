// The manifest of one backup, as JSON lines: a header, one entry per path
// in comparePaths order, and a trailer holding the counts and the SHA-256
// of every line before it (a truncated or edited manifest is detected).
// Version 1 entries each hold everything needed to restore their path;
// version 2 (manifest-frames.ts: the lines in compressed frames) may write
// an entry that equals the parent backup's as `{"path":P,"same":true}`, so
// a level that changed little stores little (backup-entries.ts resolves it).
import { LibrsyncError } from '../errors';
import { Extent } from '../data-extents';
import { MAX_BLOCK_LENGTH } from '../signature-params';
import { extentsProblem } from './extents-field';
import { framedLengthMax } from './compression/frame-format';
import { EntryXattrs, xattrsProblem } from './xattr-field';

export const MANIFEST_FORMAT = 'librsync-backup-manifest';
/** The version this one writes. */
export const MANIFEST_VERSION = 2;
/** The versions this one reads: 1 (plain JSON lines, entries whole), 2 (framed, entries inherited). */
export const READABLE_MANIFEST_VERSIONS: readonly number[] = [1, 2];

/** In a version-2 manifest: this path's entry is the parent backup's entry at the same path (`read` aside). */
export interface InheritedEntry {
  path: string;
  same: true;
}

/** Where some bytes are: a range of a pack object written by backup `backup`. */
export interface ObjectRef {
  /** Id of the backup that wrote it (its directory in the chain). */
  backup: string;
  pack: string;
  offset: number;
  /** Bytes in the pack (what a range read fetches): frames when rawLength is present. */
  length: number;
  /** SHA-256 of the piece's raw (uncompressed) bytes. */
  sha256: string;
  /** Present exactly when the piece is stored as frames (compression/): its raw bytes. */
  rawLength?: number;
}

/** One step of rebuilding a file: its whole bytes, or a delta against the previous step (an empty basis when first). */
export interface RecipeStep extends ObjectRef {
  kind: 'raw' | 'delta';
  /** Bytes of the version this step rebuilds: every patch is capped at it, so no step of a crafted store can explode. */
  size: number;
  /** Raw steps of a sparse version: the piece holds these data extents' bytes only, holes being zeros. */
  extents?: Extent[];
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
  /** Files: the device the inode is on (a rename is recognised by device and inode). */
  dev?: string;
  size?: number;
  sha256?: string;
  /** Files: the steps that rebuild it, oldest first; empty for an empty file. */
  recipe?: RecipeStep[];
  /** Files with holes: the data extents of this version (elsewhere zeros), which restore recreates as holes. */
  extents?: Extent[];
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
  /** Extended attributes, POSIX ACLs among them: name -> base64 value, sorted by name; absent when there are none. */
  xattrs?: EntryXattrs;
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
  /** --one-file-system: mount points below SOURCE were kept empty. */
  oneFileSystem?: boolean;
  /** --exclude-if-present markers. */
  excludeIfPresent?: string[];
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
const TYPES: ReadonlySet<string> = new Set(['file', 'dir', 'symlink', 'fifo', 'deleted']);
/** Backup ids and pack names as the writer makes them: nothing else may name a store object. */
export const BACKUP_ID = /^\d{6,}-L\d{1,6}$/;
export const DATA_PACK = /^d\d{6,}\.pack$/;
export const SIGNATURE_PACK = /^s\d{6,}\.pack$/;
const CHAIN_ID = /^chain-\d{6,}$/;
const BACKUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** What Linux allows: 255 bytes a name, 4095 a path (the restore also prefixes TARGET). */
const NAME_MAX = 255;
const PATH_MAX = 4095;
/** mtimes are int64 nanoseconds (utimensat's range). */
const NS_LIMIT = 1n << 63n;
/** uid and gid are 32-bit; 2^32-1 is "no change" to chown and never a real owner. */
const ID_MAX = 0xfffffffe;

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isNs(v: unknown): boolean {
  if (typeof v !== 'string' || !/^-?\d{1,20}$/.test(v)) return false;
  const n = BigInt(v);
  return n > -NS_LIMIT && n < NS_LIMIT;
}

function isDecimal(v: unknown): boolean {
  return typeof v === 'string' && /^\d{1,20}$/.test(v);
}

/** Why a store reference is malformed, or undefined when it is fine. */
function refProblem(ref: unknown, step: boolean): string | undefined {
  const r = ref as RecipeStep;
  if (!r || typeof r !== 'object') return 'not an object';
  if (typeof r.backup !== 'string' || !BACKUP_ID.test(r.backup)) return 'a malformed backup id';
  if (typeof r.pack !== 'string' || !(step ? DATA_PACK : SIGNATURE_PACK).test(r.pack)) return 'a malformed pack name';
  if (!isCount(r.offset) || !isCount(r.length) || !Number.isSafeInteger(r.offset + r.length)) return 'a malformed offset or length';
  if (typeof r.sha256 !== 'string' || !HEX64.test(r.sha256)) return 'a malformed SHA-256';
  if (r.rawLength !== undefined && (!isCount(r.rawLength) || r.length > framedLengthMax(r.rawLength))) return 'a malformed raw length';
  if (step && ((r.kind !== 'raw' && r.kind !== 'delta') || !isCount(r.size))) return 'a malformed kind or size';
  return undefined;
}

/** A relative path restore may write to: no absolute path, no '.', '..' or empty component, within Linux's limits. */
export function isSafeRelativePath(path: string): boolean {
  return path.length > 0 && !path.includes('\0') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

function lengthProblem(path: string): string | undefined {
  if (Buffer.byteLength(path) > PATH_MAX) return `path '${path.slice(0, 64)}...' is too long`;
  if (path.split('/').some((part) => Buffer.byteLength(part) > NAME_MAX)) return `a name in '${path.slice(0, 300)}' is too long`;
  return undefined;
}

/** Checks an entry's shape, so the rest of the engine can trust its fields. */
export function validateEntry(value: unknown, where: string): ManifestEntry {
  const e = value as ManifestEntry;
  const bad = (why: string): never => {
    throw manifestCorrupt(where, why);
  };
  if (!e || typeof e !== 'object' || Array.isArray(e) || typeof e.path !== 'string' || !TYPES.has(e.type)) bad('an entry has no path or type');
  if (!(e.path === '' ? e.type === 'dir' : isSafeRelativePath(e.path))) bad(`unsafe path '${e.path}'`);
  const tooLong = lengthProblem(e.path);
  if (tooLong) bad(tooLong);
  if (e.type === 'deleted') return e;
  if ((e.linkTo !== undefined || e.hardLinked !== undefined || e.links !== undefined) && e.type !== 'file') bad(`'${e.path}': hard links are for regular files only`);
  if (e.linkTo !== undefined && (typeof e.linkTo !== 'string' || !isSafeRelativePath(e.linkTo))) bad(`unsafe hard link '${String(e.linkTo)}'`);
  if (e.hardLinked !== undefined && typeof e.hardLinked !== 'boolean') bad(`'${e.path}' has a malformed hard-link mark`);
  if (e.links !== undefined && (!isCount(e.links) || e.links < 2)) bad(`'${e.path}' has a malformed link count`);
  if (!isCount(e.mode) || e.mode > 0o7777) bad(`'${e.path}' has a malformed mode`);
  if (!isCount(e.uid) || !isCount(e.gid) || e.uid > ID_MAX || e.gid > ID_MAX) bad(`'${e.path}' has a malformed owner`);
  if (!isNs(e.mtimeNs)) bad(`'${e.path}' has a malformed mtime`);
  if ((e.ctimeNs !== undefined && !isNs(e.ctimeNs)) || (e.ino !== undefined && !isDecimal(e.ino)) || (e.dev !== undefined && !isDecimal(e.dev))) {
    bad(`'${e.path}' has a malformed ctime, inode or device`);
  }
  for (const flag of ['read', 'unstable'] as const) if (e[flag] !== undefined && typeof e[flag] !== 'boolean') bad(`'${e.path}' has a malformed '${flag}'`);
  if (e.xattrs !== undefined) {
    const problem = xattrsProblem(e.xattrs, e.type);
    if (problem) bad(`'${e.path}' has malformed extended attributes: ${problem}`);
  }
  if (e.type === 'symlink') {
    const t = e.target;
    if (typeof t !== 'string' || t === '' || t.includes('\0') || Buffer.byteLength(t) > PATH_MAX) bad(`symlink '${e.path}' has a malformed target`);
  }
  if (e.type === 'file') {
    if (!isCount(e.size) || typeof e.sha256 !== 'string' || !HEX64.test(e.sha256) || !Array.isArray(e.recipe)) bad(`file '${e.path}' lacks size, hash or recipe`);
    for (const step of e.recipe!) {
      const problem = refProblem(step, true);
      if (problem) bad(`file '${e.path}' has a malformed recipe: ${problem}`);
      if (step.extents !== undefined) {
        const why = step.kind === 'raw' ? extentsProblem(step.extents, step.size) : 'only raw steps have extents';
        if (why) bad(`file '${e.path}' has malformed extents in its recipe: ${why}`);
      }
    }
    if (e.extents !== undefined) {
      const why = extentsProblem(e.extents, e.size!);
      if (why) bad(`file '${e.path}' has malformed extents: ${why}`);
    }
    if (e.signature !== undefined) {
      const problem = refProblem(e.signature, false);
      if (problem) bad(`file '${e.path}' has a malformed signature reference: ${problem}`);
    }
    if (e.size! > 0 && e.recipe!.length === 0) bad(`file '${e.path}' has data but no recipe`);
  }
  return e;
}

/** An inherited entry (version 2), checked: a safe path and nothing else; undefined when `value` is not one. */
export function inheritedEntry(value: unknown, where: string): InheritedEntry | undefined {
  const e = value as InheritedEntry;
  if (!e || typeof e !== 'object' || (e as { same?: unknown }).same === undefined) return undefined;
  if (e.same !== true || typeof e.path !== 'string' || Object.keys(e).length !== 2) throw manifestCorrupt(where, 'a malformed inherited entry');
  if (!(e.path === '' || isSafeRelativePath(e.path))) throw manifestCorrupt(where, `unsafe path '${e.path}'`);
  const tooLong = lengthProblem(e.path);
  if (tooLong) throw manifestCorrupt(where, tooLong);
  return e;
}

/**
 * Whether `entry` may be written as inherited from `parent` (the parent
 * backup's entry at the same path): equal in every field but `read`, which
 * says what this backup did, and is false for an inherited file.
 */
export function inheritsFrom(entry: ManifestEntry, parent: ManifestEntry | undefined): boolean {
  if (!parent || parent.type === 'deleted' || entry.type === 'deleted' || entry.path !== parent.path) return false;
  if (entry.type === 'file' && entry.read !== false) return false;
  const fields = (e: ManifestEntry): string[] => Object.keys(e).filter((k) => k !== 'read' && (e as unknown as Record<string, unknown>)[k] !== undefined);
  const mine = fields(entry);
  const theirs = fields(parent);
  const a = entry as unknown as Record<string, unknown>;
  const b = parent as unknown as Record<string, unknown>;
  return mine.length === theirs.length && mine.every((k) => b[k] !== undefined && deepEqual(a[k], b[k]));
}

/** The entry an inherited one stands for. */
export function resolveInherited(parent: ManifestEntry): ManifestEntry {
  const { read: _read, ...rest } = parent;
  void _read;
  return rest.type === 'file' ? { ...rest, read: false } : rest;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function isTime(v: unknown): boolean {
  return typeof v === 'string' && v.length < 64 && !Number.isNaN(Date.parse(v));
}

export function validateHeader(value: unknown, where: string): ManifestHeader {
  const h = value as ManifestHeader;
  if (!h || h.format !== MANIFEST_FORMAT) throw manifestCorrupt(where, 'no header line');
  if (!READABLE_MANIFEST_VERSIONS.includes(h.version)) {
    throw new LibrsyncError('BACKUP_STORE_INVALID', `manifest ${where} has version ${String(h.version)}; this version reads ${READABLE_MANIFEST_VERSIONS.join(' and ')}`);
  }
  const source = h.source as ManifestHeader['source'] | undefined;
  if (
    typeof h.name !== 'string' ||
    !BACKUP_NAME.test(h.name) ||
    typeof h.chain !== 'string' ||
    !CHAIN_ID.test(h.chain) ||
    typeof h.id !== 'string' ||
    !BACKUP_ID.test(h.id) ||
    !isCount(h.sequence) ||
    !isCount(h.level) ||
    !isCount(h.blockSize) ||
    h.blockSize < 1 ||
    h.blockSize > MAX_BLOCK_LENGTH ||
    !isTime(h.started) ||
    (h.chainStarted !== undefined && !isTime(h.chainStarted)) ||
    !(h.parent === null || (typeof h.parent === 'string' && BACKUP_ID.test(h.parent))) ||
    !source ||
    typeof source !== 'object' ||
    (source.kind !== 'dir' && source.kind !== 'file') ||
    typeof source.path !== 'string' ||
    typeof source.name !== 'string' ||
    (h.exclude !== undefined && !(Array.isArray(h.exclude) && h.exclude.every((x) => typeof x === 'string'))) ||
    (h.oneFileSystem !== undefined && typeof h.oneFileSystem !== 'boolean') ||
    (h.excludeIfPresent !== undefined && !(Array.isArray(h.excludeIfPresent) && h.excludeIfPresent.every((x) => typeof x === 'string' && x.length > 0)))
  ) {
    throw manifestCorrupt(where, 'malformed header');
  }
  return h;
}

const COUNT_FIELDS: readonly (keyof BackupCounts)[] = [
  'entries', 'files', 'dirs', 'symlinks', 'fifos', 'hardLinks', 'deleted', 'filesRead', 'filesUnchanged', 'bytesRead', 'bytesStored', 'totalBytes', 'warnings',
];

/** Checks a trailer's shape (its digest is checked by whoever read the lines before it). */
export function validTrailer(value: unknown): value is ManifestTrailer {
  const t = value as ManifestTrailer;
  if (!isTrailer(t) || !isTime(t.finished) || !t.counts || typeof t.counts !== 'object' || !t.packs || typeof t.packs !== 'object') return false;
  if (!COUNT_FIELDS.every((f) => isCount(t.counts[f]))) return false;
  return Object.entries(t.packs).every(([pack, size]) => (DATA_PACK.test(pack) || SIGNATURE_PACK.test(pack)) && isCount(size));
}

export function isTrailer(value: unknown): value is ManifestTrailer {
  return !!value && (value as ManifestTrailer).end === true;
}
