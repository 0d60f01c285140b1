// backup(): one new level of SOURCE in the store. The walk of SOURCE and
// the previous level's manifest are merged in one pass (both sorted by
// comparePaths), so memory does not grow with the tree. Objects go into the
// backup's own directory; the manifest, written last, is the commit.
import { BigIntStats } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LibrsyncError, paramError } from '../errors';
import { BackupInfo, ChainInfo, readChains } from './catalog';
import { EngineOptions, WarningLog, BackupWarning, streamOptions } from './engine-options';
import { BUFFERED_MAX_BYTES, CAPTURE_ATTEMPTS, Capture, CaptureMode, UnreadableFileError, captureFile, recipeOf } from './file-capture';
import { PathMatcher, compileExcludes } from './glob';
import { LevelPlan, planLevel } from './level-plan';
import { BackupCounts, ManifestEntry, ManifestHeader, MANIFEST_FORMAT, MANIFEST_VERSION } from './manifest';
import { EntryXattrs } from './xattr-field';
import { backupManifest } from './backup-entries';
import { compressionModeOf } from './compression';
import { ManifestWriter } from './manifest-writer';
import { PackOptions, PackWriter, packOptionsOf } from './pack-writer';
import { comparePaths } from './path-order';
import { defaultName } from './selection';
import { openStoreArgument } from './open-store';
import { BackupStore, StoreArgument } from './store';
import { backupId, backupPrefix, chainId, chainPrefix, checkName, manifestKey, parseBackupId } from './store-keys';
import { WalkedPath, parseMarker, walkSource, walkOptionsOf } from './source-walk';
import { XattrCapture } from './xattr-capture';
import { RENAME_INDEX_BYTES, RenameIndex, RenameOrigin } from './rename-index';
import { DEDUP_INDEX_BYTES, LevelDedup, StoredContent } from './level-dedup';
import { stableDigest } from './stable-digest';
import { RUN_SIGNAL_LISTENERS, whileLocked } from './lock-signal';
import { setMaxListeners } from 'node:events';

export interface BackupOptions extends EngineOptions {
  /** Default: derived from SOURCE (its name and a digest of its absolute path). */
  name?: string;
  /** 0 starts a new chain; N adds a level N against the chain's newest level N-1. */
  level?: number;
  maxLevel?: number;
  alwaysLevel?: number;
  restartAfterDays?: number;
  blockSize?: number;
  exclude?: string[];
  /** Stay on SOURCE's file system: mount points below it are kept, empty. */
  oneFileSystem?: boolean;
  /** Leave out directories holding one of these files (`NAME`, or `NAME:HEADER` for a file starting with HEADER). */
  excludeIfPresent?: string[];
  /** The clock, for tests of --restart-after. */
  now?: () => Date;
  /** Memory (bytes, estimated) for the previous level's files that renamed paths are matched against; 0: no rename detection. */
  renameIndexBytes?: number;
  /** Memory (bytes, estimated) for the files this level stored that later identical files point at; 0: identical files stored again. */
  dedupIndexBytes?: number;
}

export interface BackupResult {
  name: string;
  chain: string;
  id: string;
  level: number;
  sequence: number;
  parent: string | null;
  /** Why a new chain was started, when one was. */
  newChain?: string;
  blockSize: number;
  counts: BackupCounts;
  /** Manifest bytes (bytesStored in counts covers pack objects only). */
  manifestBytes: number;
  warnings: BackupWarning[];
  seconds: number;
}

const FILE_TYPE_MASK = 0o7777n;

function zeroCounts(): BackupCounts {
  return {
    entries: 0,
    files: 0,
    dirs: 0,
    symlinks: 0,
    fifos: 0,
    hardLinks: 0,
    deleted: 0,
    filesRead: 0,
    filesUnchanged: 0,
    bytesRead: 0,
    bytesStored: 0,
    totalBytes: 0,
    warnings: 0,
  };
}

function baseFields(path: string, stat: BigIntStats): Pick<ManifestEntry, 'path' | 'mode' | 'uid' | 'gid' | 'mtimeNs'> {
  return { path, mode: Number(stat.mode & FILE_TYPE_MASK), uid: Number(stat.uid), gid: Number(stat.gid), mtimeNs: stat.mtimeNs.toString() };
}

/** Whether a file can be carried over without reading it: same type, size, times (ns), inode and mode. */
function unchanged(previous: ManifestEntry | undefined, stat: BigIntStats): boolean {
  return (
    previous?.type === 'file' &&
    !previous.unstable &&
    previous.size === Number(stat.size) &&
    previous.mtimeNs === stat.mtimeNs.toString() &&
    previous.ctimeNs === stat.ctimeNs.toString() &&
    previous.ino === stat.ino.toString() &&
    previous.mode === Number(stat.mode & FILE_TYPE_MASK)
  );
}

/**
 * Removes what interrupted runs left: a backup directory without a manifest
 * that is newer than every backup with one (an interrupted run is always the
 * newest of its chain). One below a committed backup lost its manifest to
 * damage, and later levels still need its packs; a damaged manifest is
 * damage too. Both are left for list and verify to report.
 */
async function removeLeftovers(store: BackupStore, chains: ChainInfo[]): Promise<void> {
  for (const chain of chains) {
    const newest = Math.max(-1, ...chain.backups.map((b) => b.sequence), ...chain.damaged.map((d) => d.sequence));
    const leftovers = chain.uncommitted.filter((id) => parseBackupId(id)!.sequence > newest);
    for (const id of leftovers) await store.remove(backupPrefix(chain.name, chain.chain, id));
    chain.uncommitted = chain.uncommitted.filter((id) => !leftovers.includes(id));
    if (chain.backups.length === 0 && chain.damaged.length === 0 && chain.uncommitted.length === 0) await store.remove(chainPrefix(chain.name, chain.chain));
  }
}

/** Files up to this size are read several at a time, their outputs held in memory until their turn. */
export const SMALL_FILE_BYTES = BUFFERED_MAX_BYTES;
/** How many paths may be in progress at once (the manifest still gets them in order). */
export const PATHS_IN_FLIGHT = 8;

/**
 * The delta basis of a file that is read. The version it was renamed from
 * (found by its inode) when the rename kept its size and mtime, or when the
 * path had no file before; else the path's own previous file. A file saved
 * by writing a new one and renaming it over the old gets a fresh inode,
 * whose number may have been another file's: that is no rename (its mtime
 * is new), and that file's signature would match nothing.
 */
function readBasis(previous: ManifestEntry | undefined, renamedFrom: RenameOrigin | undefined, stat: BigIntStats): RenameOrigin | ManifestEntry | undefined {
  if (!renamedFrom || previous?.type !== 'file') return renamedFrom ?? previous;
  const kept = renamedFrom.size === Number(stat.size) && renamedFrom.mtimeNs === stat.mtimeNs.toString();
  return kept ? renamedFrom : previous;
}

/** A walked path, prepared (possibly read) ahead of its turn, with its previous entry. */
type Prepared = { item: WalkedPath; previous: ManifestEntry | undefined } & (
  | { kind: 'other'; entry: ManifestEntry | undefined }
  | { kind: 'deleted' }
  | {
      kind: 'file';
      linkKey?: string;
      capture?: Capture | 'unreadable';
      read: boolean;
      xattrs?: { found: EntryXattrs | undefined };
      /** The previous entry of the path this file was renamed from: its content is carried (read: false) or is the delta basis. */
      renamedFrom?: RenameOrigin;
    }
  | { kind: 'link'; linkKey: string; last: boolean }
);

class BackupRun {
  readonly counts = zeroCounts();
  readonly warnings: WarningLog;
  /**
   * Hard-linked inodes seen (at preparation), with how many of their paths
   * are still to come, and their first entry (once written). Both forget an
   * inode at its last path: only inodes with links still ahead (or outside
   * SOURCE) are held.
   */
  private readonly linksPending = new Map<string, number>();
  private readonly linkEntries = new Map<string, ManifestEntry>();
  private readonly captureBase;
  /** Extended attributes (ACLs among them) of each entry, read where its metadata is taken. */
  private readonly xattrs = new XattrCapture((path, message) => this.warnings.add(path, message));
  private readonly started = performance.now();
  private currentPath = '';
  private readonly dedup: LevelDedup | undefined;

  constructor(
    private readonly options: BackupOptions,
    private readonly manifest: ManifestWriter,
    store: BackupStore,
    name: string,
    chain: string,
    blockSize: number,
    readonly dataPack: PackWriter,
    readonly signaturePack: PackWriter,
    private readonly estimate: number | undefined,
    signal: AbortSignal,
    /** Undefined for a level 0, a single-file SOURCE, or renameIndexBytes 0. */
    private readonly renames: RenameIndex | undefined,
  ) {
    this.warnings = new WarningLog(options.onWarning);
    const dedupBytes = options.dedupIndexBytes ?? DEDUP_INDEX_BYTES;
    this.dedup = dedupBytes > 0 ? new LevelDedup(dedupBytes) : undefined;
    this.captureBase = {
      store,
      name,
      chain,
      blockSize,
      compression: compressionModeOf(options.compression),
      dataPack,
      signaturePack,
      streamOptions: streamOptions(options),
      signal,
      onBytes: (n: number) => {
        this.counts.bytesRead += n;
        this.progress();
      },
    };
  }

  private progress(): void {
    this.options.onProgress?.({ phase: 'backup', files: this.counts.entries, bytes: this.counts.bytesRead, totalBytes: this.estimate, path: this.currentPath });
  }

  private async capture(item: WalkedPath, previous: RenameOrigin | undefined, mode: CaptureMode): Promise<Capture | 'too-big' | 'unreadable' | undefined> {
    const usable = previous?.type === 'file' ? previous : undefined;
    try {
      return await captureFile({ ...this.captureBase, warn: (m) => this.warnings.add(item.path, m) }, item.absolute, usable, mode);
    } catch (err) {
      if (!(err instanceof UnreadableFileError)) throw err;
      this.warnings.add(item.path, err.message);
      return 'unreadable';
    }
  }

  /** First half, in walk order but possibly ahead of the manifest: small files are read here. */
  async prepare(item: WalkedPath, previous: ManifestEntry | undefined): Promise<Prepared> {
    const { stat, path } = item;
    this.currentPath = path;
    if (!stat.isFile()) return { item, previous, kind: 'other', entry: await this.describeOther(item) };
    const linkKey = stat.nlink > 1n ? `${stat.dev}:${stat.ino}` : undefined;
    if (linkKey !== undefined) {
      const pending = this.linksPending.get(linkKey);
      if (pending !== undefined) {
        const last = pending <= 1;
        if (last) this.linksPending.delete(linkKey);
        else this.linksPending.set(linkKey, pending - 1);
        return { item, previous, kind: 'link', linkKey, last };
      }
      this.linksPending.set(linkKey, Number(stat.nlink) - 1);
    }
    // Attributes of a file carried over are read here, several at once, not one by one in manifest order.
    if (unchanged(previous, stat)) return { item, previous, kind: 'file', linkKey, read: false, xattrs: { found: await this.xattrs.read(path, item.absolute, 'file') } };
    // A path new to this inode: renamed here, perhaps. Carried over on the same stat-based trust as an unchanged file,
    // else (a file's own rename changes its ctime on Linux) read with its old version as the delta basis.
    const renamedFrom = previous?.type === 'file' && previous.ino === stat.ino.toString() ? undefined : await this.renames?.originOf(path, stat);
    if (renamedFrom && unchanged(renamedFrom as ManifestEntry, stat)) {
      return { item, previous, renamedFrom, kind: 'file', linkKey, read: false, xattrs: { found: await this.xattrs.read(path, item.absolute, 'file') } };
    }
    if (stat.size > BigInt(SMALL_FILE_BYTES)) return { item, previous, renamedFrom, kind: 'file', linkKey, read: true };
    const capture = await this.capture(item, readBasis(previous, renamedFrom, stat), 'buffered');
    // Grown past the limit since the walk: read in its turn, straight into the packs.
    return { item, previous, renamedFrom, kind: 'file', linkKey, read: true, capture: capture === 'too-big' ? undefined : capture };
  }

  /** Second half, strictly in manifest order: big files are read here, pieces get their place in the packs. */
  async finish(p: Prepared): Promise<void> {
    let entry: ManifestEntry | undefined;
    if (p.kind === 'other') entry = p.entry;
    else if (p.kind === 'link') {
      entry = this.linkEntry(p.item, p.linkKey) ?? (await this.fileEntry({ ...p, kind: 'file', read: true }));
      if (p.last) this.linkEntries.delete(p.linkKey);
    }
    else if (p.kind === 'file') entry = await this.fileEntry(p);
    if (entry) await this.add(entry, p.previous);
    else if (p.previous && p.previous.type !== 'deleted') await this.add({ path: p.previous.path, type: 'deleted' });
  }

  /** Adds an entry to the manifest; `previous`, the parent's entry at its path, lets it be written as inherited. */
  async add(entry: ManifestEntry, previous?: ManifestEntry): Promise<void> {
    await this.manifest.add(entry, previous);
    this.counts.entries++;
    if (entry.type === 'file') {
      this.counts.files++;
      this.counts.totalBytes += entry.size!;
      if (entry.linkTo) this.counts.hardLinks++;
    } else if (entry.type === 'dir') this.counts.dirs++;
    else if (entry.type === 'symlink') this.counts.symlinks++;
    else if (entry.type === 'fifo') this.counts.fifos++;
    else this.counts.deleted++;
  }

  private async describeOther(item: WalkedPath): Promise<ManifestEntry | undefined> {
    const { stat, path } = item;
    if (stat.isDirectory()) return this.withXattrs({ ...baseFields(path, stat), type: 'dir' }, item.absolute);
    if (stat.isSymbolicLink()) {
      try {
        return await this.withXattrs({ ...baseFields(path, stat), type: 'symlink', target: await readlink(item.absolute) }, item.absolute);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    }
    if (stat.isFIFO()) return this.withXattrs({ ...baseFields(path, stat), type: 'fifo' }, item.absolute);
    this.warnings.add(path, `skipped: ${stat.isSocket() ? 'a socket' : 'a device file'} cannot be backed up`);
    return undefined;
  }

  /**
   * Reads a file in its turn (or takes what was read ahead), following a
   * path whose file was replaced while it was read (an editor's or a
   * deployment's save-by-rename) to the file that stands there now. A path
   * that exists before and after is never left out: when it is replaced at
   * every attempt, the last whole version read is kept and flagged.
   * Undefined only when the path is gone, is no longer a regular file, or
   * cannot be read (those two with a warning).
   */
  private async captureInTurn(item: WalkedPath, previous: RenameOrigin | undefined, ahead: Capture | 'unreadable' | undefined): Promise<Capture | undefined> {
    let capture: Capture | 'too-big' | 'unreadable' | undefined = ahead ?? (await this.capture(item, previous, 'direct'));
    for (let attempt = 1; ; attempt++) {
      if (capture === 'unreadable') return undefined;
      if (capture === 'too-big') throw new Error('internal: a direct capture has no size limit');
      if (capture && !capture.replaced) return capture;
      const now = await lstat(item.absolute, { bigint: true }).catch(() => undefined);
      if (!now) return undefined; // deleted: recorded as such
      if (!now.isFile()) {
        this.warnings.add(item.path, 'changed type while being backed up: left out of this level');
        return undefined;
      }
      if (attempt >= 2 * CAPTURE_ATTEMPTS) {
        this.warnings.add(item.path, `could not be opened while it was replaced again and again: left out of this level`);
        return undefined;
      }
      if (capture && attempt >= CAPTURE_ATTEMPTS) {
        this.warnings.add(item.path, `replaced while being read (${attempt} attempts); stored the last version read, read again next time`);
        return { ...capture, replaced: false, unstable: true };
      }
      capture = await this.capture({ ...item, stat: now }, previous, 'direct');
    }
  }

  /** Another path of an inode already stored: restored as a link to it, yet complete on its own. */
  private linkEntry(item: WalkedPath, linkKey: string): ManifestEntry | undefined {
    const first = this.linkEntries.get(linkKey);
    if (!first) return undefined; // the first path vanished before it was read: this one is stored instead
    const { size, sha256, recipe, signature, ctimeNs, ino, dev, xattrs, extents } = first;
    // One inode, one set of attributes: its first path's.
    return { ...baseFields(item.path, item.stat), type: 'file', size, sha256, recipe, signature, ctimeNs, ino, dev, linkTo: first.path, hardLinked: true, ...(extents && { extents }), ...(xattrs && { xattrs }) };
  }

  private async fileEntry(p: Prepared & { kind: 'file' }): Promise<ManifestEntry | undefined> {
    const { item, previous } = p;
    const basis = p.read ? readBasis(previous, p.renamedFrom, item.stat) : (p.renamedFrom ?? previous);
    let entry: ManifestEntry;
    if (!p.read) {
      const { size, sha256, recipe, signature, extents } = basis!;
      entry = { ...baseFields(item.path, item.stat), type: 'file', size, sha256, recipe, signature, ...(extents && { extents }), read: false };
      this.counts.filesUnchanged++;
    } else {
      this.currentPath = item.path;
      const copy = p.capture ? undefined : await this.storedCopy(item);
      const capture = copy ?? (await this.captureInTurn(item, basis, p.capture));
      if (!capture) return undefined;
      this.counts.filesRead++;
      const s = capture.stat;
      // Stored already (by this level, or before the rename): point at those pieces; a small file's own are never written.
      const stored = copy?.content ?? this.storedContent(capture, p.renamedFrom);
      const recipe = stored ? stored.recipe : await recipeOf(capture, basis);
      // Holes are this file's layout, whoever's pieces hold its bytes.
      entry = { ...baseFields(item.path, s), type: 'file', size: capture.size, sha256: capture.sha256, recipe, ...(capture.extents && { extents: capture.extents }), read: true };
      const signature = stored ? stored.signature : await capture.signature?.place();
      if (signature) entry.signature = signature;
      if (capture.unstable) entry.unstable = true;
      entry.ctimeNs = s.ctimeNs.toString();
      entry.ino = s.ino.toString();
      entry.dev = s.dev.toString();
      if (!stored) this.dedup?.remember(entry);
    }
    entry.ctimeNs ??= item.stat.ctimeNs.toString();
    entry.ino ??= item.stat.ino.toString();
    entry.dev ??= item.stat.dev.toString();
    // Read for content carried over too: the previous entry may lack them (a backup made without the addon).
    const xattrs = p.xattrs ? p.xattrs.found : await this.xattrs.read(item.path, item.absolute, 'file');
    if (xattrs) entry.xattrs = xattrs;
    if (p.linkKey !== undefined) {
      entry.hardLinked = true;
      entry.links = Number(item.stat.nlink);
      this.linkEntries.set(p.linkKey, entry);
    }
    return entry;
  }

  /**
   * A large file that is a copy of one this level stored: hashed alone
   * first, only when a file of its size was stored (else it is read once,
   * into the packs). Undefined when it is not a copy, or changed meanwhile.
   */
  private async storedCopy(item: WalkedPath): Promise<(Capture & { content: StoredContent }) | undefined> {
    if (!this.dedup?.hasSize(Number(item.stat.size))) return undefined;
    const hashed = await stableDigest(item.absolute, this.captureBase.signal, this.captureBase.onBytes);
    if (!hashed) return undefined;
    const size = Number(hashed.stat.size);
    const content = this.dedup.find(size, hashed.sha256);
    return content && { stat: hashed.stat, size, sha256: hashed.sha256, unstable: false, bytesRead: size, content };
  }

  /** Where a captured content is stored already: a file this level stored, or the version the file was renamed from. */
  private storedContent(capture: Capture, renamedFrom: RenameOrigin | undefined): StoredContent | undefined {
    const same = renamedFrom && renamedFrom.size === capture.size && renamedFrom.sha256 === capture.sha256;
    return this.dedup?.find(capture.size, capture.sha256) ?? (same ? { recipe: renamedFrom.recipe!, signature: renamedFrom.signature } : undefined);
  }

  /** The entry with the path's extended attributes, when it has any. */
  private async withXattrs(entry: ManifestEntry, absolute: string): Promise<ManifestEntry> {
    const xattrs = await this.xattrs.read(entry.path, absolute, entry.type);
    if (xattrs) entry.xattrs = xattrs;
    return entry;
  }

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}

/**
 * A store inside SOURCE (`backup . ./backups`) is never backed up into
 * itself. Both paths are compared after resolving symlinks, so a SOURCE
 * reached through a link (/data -> /mnt/data, store /mnt/data/backups)
 * is caught too.
 */
async function withoutStore(excluded: PathMatcher, root: string, store: BackupStore): Promise<PathMatcher> {
  if (!store.location.startsWith('/')) return excluded;
  const [realRoot, realStore] = await Promise.all([realpath(root), realpath(store.location)]);
  const inside = relative(realRoot, realStore);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return excluded;
  const storePath = inside.split(sep).join('/');
  return (path) => path === storePath || excluded(path);
}

/**
 * SOURCE as the default name sees it: its directory with symlinks resolved
 * (/data -> /mnt/data, so /data/x and /mnt/data/x are one name), and its own
 * name as given (a SOURCE that is a symlink, /srv/current, keeps its name
 * when it is pointed elsewhere). resolve() has already removed '.' and '..'.
 */
async function canonicalSource(given: string): Promise<string> {
  if (given === dirname(given)) return given;
  return join(await realpath(dirname(given)), basename(given));
}

/** Entries of the parent backup, one at a time, or nothing for a level 0. */
function parentEntries(store: BackupStore, plan: LevelPlan): AsyncIterator<ManifestEntry> | undefined {
  if (plan.newChain) return undefined;
  return backupManifest(store, plan.chain.name, plan.chain.chain, plan.parent.id).entries();
}

export async function backup(source: string, storeArgument: StoreArgument, options: BackupOptions = {}): Promise<BackupResult> {
  const store = openStoreArgument(storeArgument, options);
  const given = resolve(source);
  // SOURCE itself may be a symlink (/srv/current -> /srv/release-7): the
  // user named it, so it is followed; its name and path stay as given.
  const root = (await lstat(given)).isSymbolicLink() ? await realpath(given) : given;
  const rootStat = await lstat(root);
  if (!rootStat.isDirectory() && !rootStat.isFile()) {
    throw new LibrsyncError('BACKUP_SOURCE_UNSUPPORTED', `${source} is neither a directory nor a regular file`);
  }
  const name = checkName(options.name ?? defaultName(await canonicalSource(given)));
  for (const marker of options.excludeIfPresent ?? []) parseMarker(marker); // a malformed one is bad input, before anything is written
  for (const option of ['renameIndexBytes', 'dedupIndexBytes'] as const) {
    const value = options[option];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) throw paramError(`${option} must be a byte count (0 or more), not ${String(value)}`);
  }
  compressionModeOf(options.compression); // and an unknown compression mode
  const packOptions = packOptionsOf(store); // so is a store's bad hint
  await store.open({ create: true });
  const excluded = await withoutStore(compileExcludes(options.exclude ?? []), root, store);
  const lock = await store.lock();
  try {
    const chains = await readChains(store, name);
    await removeLeftovers(store, chains);
    const now = options.now?.() ?? new Date();
    const plan = planLevel(
      chains,
      {
        level: options.level,
        maxLevel: options.maxLevel,
        alwaysLevel: options.alwaysLevel,
        restartAfterDays: options.restartAfterDays,
        blockSize: options.blockSize,
        sourceKind: rootStat.isDirectory() ? 'dir' : 'file',
      },
      now,
    );
    const chain = plan.newChain ? chainId(Math.max(0, ...chains.map((c) => c.number)) + 1) : plan.chain.chain;
    return await whileLocked(lock, options, (locked) => runBackup({ root, given }, rootStat.isDirectory() ? 'dir' : 'file', store, packOptions, name, chain, plan, excluded, now, locked));
  } finally {
    await lock.release();
  }
}

async function runBackup(
  { root, given }: { root: string; given: string },
  kind: 'dir' | 'file',
  store: BackupStore,
  packOptions: PackOptions,
  name: string,
  chain: string,
  plan: LevelPlan,
  excluded: (path: string) => boolean,
  now: Date,
  options: BackupOptions,
): Promise<BackupResult> {
  const id = backupId(plan.sequence, plan.level);
  const prefix = backupPrefix(name, chain, id);
  // The plan rests on a listing, and an object store's listing may lag
  // behind (Swift's does): a committed backup it did not show yet would be
  // overwritten by this one. A HEAD of the manifest is not behind.
  if ((await store.objectSize(manifestKey(name, chain, id))) !== undefined) {
    throw new LibrsyncError(
      'STORE_UNAVAILABLE',
      `${store.location}: backup ${chain}/${id} of '${name}' exists, but the store's listing does not show it yet (the listing lags behind); nothing was written: try again in a minute`,
    );
  }
  const parent: BackupInfo | undefined = plan.newChain ? undefined : plan.parent;
  const header: ManifestHeader = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    name,
    chain,
    id,
    sequence: plan.sequence,
    level: plan.level,
    parent: parent?.id ?? null,
    started: now.toISOString(),
    chainStarted: plan.newChain ? now.toISOString() : plan.chain.backups[0].header.started,
    blockSize: plan.blockSize,
    source: { path: given, kind, name: given.split('/').pop() ?? '' },
    exclude: options.exclude ?? [],
    ...(options.oneFileSystem ? { oneFileSystem: true } : {}),
    ...(options.excludeIfPresent?.length ? { excludeIfPresent: options.excludeIfPresent } : {}),
  };
  const renameBytes = options.renameIndexBytes ?? RENAME_INDEX_BYTES;
  const manifest = new ManifestWriter(store.writeObject(manifestKey(name, chain, id)), header, compressionModeOf(options.compression));
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  setMaxListeners(RUN_SIGNAL_LISTENERS, signal);
  const run = new BackupRun(
    options,
    manifest,
    store,
    name,
    chain,
    plan.blockSize,
    new PackWriter(store, prefix, id, 'd', packOptions),
    new PackWriter(store, prefix, id, 's', packOptions),
    parent?.counts.totalBytes,
    signal,
    kind === 'dir' && !plan.newChain && renameBytes > 0 ? new RenameIndex(root, () => parentEntries(store, plan)!, renameBytes) : undefined,
  );
  const previous = parentEntries(store, plan);
  // Paths prepared ahead, finished strictly in order.
  const inFlight: Promise<Prepared>[] = [];
  const enqueue = async (prepared: Promise<Prepared>): Promise<void> => {
    prepared.catch(() => undefined); // awaited in turn below
    inFlight.push(prepared);
    while (inFlight.length >= PATHS_IN_FLIGHT) await run.finish(await inFlight.shift()!);
  };
  const gone = (entry: ManifestEntry): Promise<void> =>
    enqueue(Promise.resolve({ item: { path: entry.path, absolute: '', stat: undefined as never }, previous: entry, kind: 'deleted' as const }));
  try {
    const nextPrevious = async (): Promise<ManifestEntry | undefined> => (previous ? (await previous.next()).value ?? undefined : undefined);
    let pending = await nextPrevious();
    const onProblem = (p: { path: string; message: string }): void => run.warnings.add(p.path, p.message);
    for await (const item of walkSource(root, excluded, onProblem, basename(given), walkOptionsOf(header))) {
      signal.throwIfAborted();
      while (pending && comparePaths(pending.path, item.path) < 0) {
        await gone(pending);
        pending = await nextPrevious();
      }
      let match: ManifestEntry | undefined;
      if (pending && pending.path === item.path) {
        match = pending.type === 'deleted' ? undefined : pending;
        pending = await nextPrevious();
      }
      await enqueue(run.prepare(item, match));
    }
    for (; pending; pending = await nextPrevious()) await gone(pending);
    while (inFlight.length) await run.finish(await inFlight.shift()!);
    // Commit: every pack finished (those still uploading too) and durable, then the manifest
    // (temp + fsync + rename), then its name. A pack that failed fails the backup here at the latest.
    await Promise.all([run.dataPack.close(), run.signaturePack.close()]);
    await store.sync(prefix);
    const packs = { ...run.dataPack.packs, ...run.signaturePack.packs };
    run.counts.bytesStored = Object.values(packs).reduce((a, b) => a + b, 0);
    run.counts.warnings = run.warnings.count;
    signal.throwIfAborted(); // the last moment not to commit: a lost lock or the user's abort
    await manifest.finish({ end: true, finished: new Date().toISOString(), counts: run.counts, packs });
    await store.sync(prefix);
  } catch (err) {
    stop.abort(err);
    await Promise.allSettled(inFlight);
    await previous?.return?.(undefined);
    await Promise.allSettled([manifest.abandon(), run.dataPack.abandon(), run.signaturePack.abandon()]);
    await store.remove(plan.newChain ? chainPrefix(name, chain) : prefix).catch(() => undefined);
    // A first backup of a name that failed leaves no empty name behind.
    if (plan.newChain && (await store.list(name).catch(() => ['?'])).length === 0) await store.remove(name).catch(() => undefined);
    throw err;
  }
  return {
    name,
    chain,
    id,
    level: plan.level,
    sequence: plan.sequence,
    parent: header.parent,
    newChain: plan.newChain ? plan.reason : undefined,
    blockSize: plan.blockSize,
    counts: run.counts,
    manifestBytes: manifest.bytes,
    warnings: run.warnings.kept,
    seconds: run.seconds,
  };
}
