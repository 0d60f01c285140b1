// restore(): rebuilds one backup (or some paths of it) into TARGET. The
// manifest is read whole first: its digest, and every entry against the
// rules that make it restorable (EntryRules), before anything is written.
// Then it is read again entry by entry (the rules checked again): every
// file, symlink and FIFO is built in the scratch directory, given its
// metadata, (a file) made durable with a batch of others (SyncBatch) and
// renamed into place; a directory gets its metadata once its
// subtree is written (memory holds only the directories on the current
// path). --path restores read only the pieces those files need.
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, rename, rm, symlink, link, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LibrsyncError } from '../errors';
import { BackupInfo, ancestry, readChains, readNamedChains } from './catalog';
import { BackupWarning, EngineOptions, WarningLog, streamOptions } from './engine-options';
import { EntryRules } from './entry-rules';
import { rebuildFile } from './file-rebuild';
import { TaskWindow } from './task-window';
import { ManifestEntry } from './manifest';
import { backupManifest } from './backup-entries';
import { applyMetadata } from './restore-metadata';
import { RestoreScratch } from './restore-scratch';
import { isWithin, manifestPathOf } from './path-order';
import { resolveName, selectBackup } from './selection';
import { openStoreArgument } from './open-store';
import { BackupStore, StoreArgument } from './store';
import { manifestKey } from './store-keys';
import { parseTime } from './time-spec';
import { whileLocked } from './lock-signal';
import { SYNC_BATCH_FILES, SyncBatch, syncFileSystemOf } from '../sync-batch';

export interface RestoreOptions extends EngineOptions {
  name?: string;
  /** The newest backup at this level (default: the newest backup). */
  level?: number;
  /** The newest backup committed at or before this time. */
  at?: Date | string;
  /** One backup by chain and id, as list shows it: 'chain-000002/000001-L1'. */
  backup?: string;
  /** Paths relative to SOURCE (a file or a subtree); default everything. */
  paths?: string[];
  /** Restore into a non-empty TARGET, replacing what is in the way. */
  overwrite?: boolean;
  /** Restore every file that can be: a file whose stored pieces are damaged is skipped (never written) and listed in `damaged`. */
  keepGoing?: boolean;
}

export interface RestoreResult {
  name: string;
  chain: string;
  id: string;
  level: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardLinks: number;
  fifos: number;
  bytesWritten: number;
  warnings: BackupWarning[];
  /** With keepGoing: the files not restored because their stored pieces are damaged (first 1000; see damagedCount). */
  damaged: { path: string; code: string; message: string }[];
  damagedCount: number;
  seconds: number;
}

const run = promisify(execFile);

/** Damaged files listed in a result (all are counted). */
const MAX_LISTED = 1000;

/** Damage to the stored pieces of one file (restore --keep-going skips it), as opposed to a failure of the run. */
function isDamage(err: unknown): err is LibrsyncError {
  return err instanceof LibrsyncError && (err.code === 'BACKUP_CORRUPT' || err.code === 'BACKUP_OBJECT_MISSING' || err.code === 'BACKUP_CHAIN_BROKEN');
}

/** The damage that stopped a restore, saying how far it got and that --keep-going exists. */
function stoppedAt(err: LibrsyncError, result: RestoreResult): LibrsyncError {
  const done = `${result.files} ${result.files === 1 ? 'file' : 'files'} restored before it stopped`;
  return new LibrsyncError(err.code, `${err.message} (${done}; --keep-going restores every file that can be)`, { cause: err });
}

/** Files rebuilt at once (their directories exist first; a hard link waits for its first path). */
export const FILES_IN_FLIGHT = 8;
/**
 * Small files (and symlinks, FIFOs, hard links) placed at once, besides
 * those: enough to fill a durability batch while the previous one is
 * flushed. Each holds little memory (one piece read, no intermediate version).
 */
export const SMALL_LEAVES_IN_FLIGHT = 2 * SYNC_BATCH_FILES;
/** A file up to this size, rebuilt from one piece, is a small one. */
export const SMALL_LEAF_BYTES = 64 * 1024;

/** Whether a leaf is placed in the window of small ones. */
function isSmallLeaf(entry: ManifestEntry): boolean {
  return entry.type !== 'file' || (entry.size! <= SMALL_LEAF_BYTES && (entry.recipe?.length ?? 0) <= 1);
}

function normalizeSelection(paths: readonly string[] | undefined): string[] | undefined {
  if (!paths || paths.length === 0) return undefined;
  return paths.map((p) => {
    const clean = manifestPathOf(p);
    if (clean === undefined) throw new LibrsyncError('RS_PARAM_ERROR', `--path must be relative to the source, without '..': '${p}'`);
    return clean;
  });
}

/** Whether `path` is restored: inside a selected root, or a directory above one (for its metadata). */
function selected(path: string, roots: readonly string[] | undefined): 'yes' | 'ancestor' | 'no' {
  if (!roots) return 'yes';
  if (roots.some((r) => isWithin(path, r))) return 'yes';
  if (roots.some((r) => isWithin(r, path))) return 'ancestor';
  return 'no';
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    // Not even --overwrite replaces TARGET itself.
    if (code === 'ENOTDIR') throw new LibrsyncError('TARGET_NOT_EMPTY', `${dir} exists and is not a directory: restore into a directory`);
    throw err;
  }
}

/**
 * Makes way for a restored path (only reached with --overwrite or in a
 * fresh TARGET): a directory may stay where a directory goes; anything
 * else in a directory's way is removed; a directory in a leaf's way is
 * removed, while a leaf in a leaf's way is replaced by the rename.
 * Resolves true when a directory already stands at `path`.
 */
async function clearWay(path: string, forDirectory: boolean): Promise<boolean> {
  const existing = await lstat(path).catch(() => undefined);
  if (!existing) return false;
  if (existing.isDirectory()) {
    if (forDirectory) return true;
    await rm(path, { recursive: true, force: true });
  } else if (forDirectory) {
    await unlink(path);
  }
  return false;
}

/** mkdir, false when something is in the way already (EEXIST). */
async function madeDirectory(path: string): Promise<boolean> {
  try {
    await mkdir(path, { mode: 0o700 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The rules of a restorable manifest for `backup`, with its bases. */
function rulesFor(key: string, backup: BackupInfo, bases: BackupInfo[]): EntryRules {
  return new EntryRules(key, backup, new Map(bases.map((b) => [b.id, b])));
}

export async function restore(storeArgument: StoreArgument, target: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const store = openStoreArgument(storeArgument, options);
  const roots = normalizeSelection(options.paths);
  const at = typeof options.at === 'string' ? parseTime(options.at) : options.at;
  if (at !== undefined && options.level !== undefined) throw new LibrsyncError('RS_PARAM_ERROR', 'choose --level or --at, not both');
  await store.open({ create: false });
  // A prune must not remove the backup while it is read.
  const lock = await store.lock('reader');
  try {
    if (lock.warning) options.onWarning?.({ path: '', message: lock.warning });
    return await whileLocked(lock, options, (locked) => restoreLocked(store, target, locked, roots, at));
  } finally {
    await lock.release();
  }
}

async function restoreLocked(store: BackupStore, target: string, options: RestoreOptions, roots: string[] | undefined, at: Date | undefined): Promise<RestoreResult> {
  const started = performance.now();
  const name = await resolveName(store, options.name);
  const chains = options.name !== undefined ? await readNamedChains(store, name) : await readChains(store, name);
  const { chain, backup } = selectBackup(chains, name, { level: options.level, at, backup: options.backup });
  const bases = ancestry(chain, backup); // the chain it needs must be whole
  const key = manifestKey(name, chain.chain, backup.id);

  const destinationRoot = resolve(target);
  // Into an empty TARGET nothing stands in a restored path's way (but what someone else puts there meanwhile).
  const fresh = await isEmptyOrMissing(destinationRoot);
  if (!fresh && !options.overwrite) {
    throw new LibrsyncError('TARGET_NOT_EMPTY', `${target} is not empty: restore into an empty directory or use --overwrite`);
  }

  // First pass, before anything is written: the manifest is intact and restorable, the selected paths exist, and how many bytes to expect.
  let totalBytes = 0;
  const found = new Set<string>();
  const firstRules = rulesFor(key, backup, bases);
  for await (const entry of backupManifest(store, name, chain.chain, backup.id).entries()) {
    options.signal?.throwIfAborted();
    firstRules.check(entry);
    if (entry.type === 'deleted' || selected(entry.path, roots) !== 'yes') continue;
    if (roots?.includes(entry.path)) found.add(entry.path);
    if (entry.type === 'file') totalBytes += entry.size!;
  }
  const missing = roots?.filter((r) => r !== '' && !found.has(r));
  if (missing?.length) throw new LibrsyncError('BACKUP_NOT_FOUND', `not in backup ${backup.chain}/${backup.id}: ${missing.join(', ')}`);

  await mkdir(destinationRoot, { recursive: true });
  const scratch = await RestoreScratch.create(destinationRoot);
  const rootDevice = (await lstat(destinationRoot)).dev;
  const warnings = new WarningLog(options.onWarning);
  const result: RestoreResult = {
    name,
    chain: chain.chain,
    id: backup.id,
    level: backup.level,
    files: 0,
    dirs: 0,
    symlinks: 0,
    hardLinks: 0,
    fifos: 0,
    bytesWritten: 0,
    warnings: warnings.kept,
    damaged: [],
    damagedCount: 0,
    seconds: 0,
  };
  const context = {
    store,
    name,
    chain: chain.chain,
    scratch: scratch.dir,
    streamOptions: streamOptions(options),
    signal: options.signal,
    onBytes: (n: number) => {
      result.bytesWritten += n;
      progress();
    },
  };
  let currentPath = '';
  let handled = 0;
  const progress = (): void =>
    options.onProgress?.({ phase: 'restore', files: handled, bytes: result.bytesWritten, totalBytes, path: currentPath });
  /** Where hard-linked files went (once rebuilt there), for their other links, and how many of those are still to come. */
  const linkTargets = new Map<string, { where: Promise<string | undefined>; pending: number; sha256?: string }>();
  const leaves = new TaskWindow(FILES_IN_FLIGHT);
  const smallLeaves = new TaskWindow(SMALL_LEAVES_IN_FLIGHT);
  const windowOf = (entry: ManifestEntry): TaskWindow => (isSmallLeaf(entry) ? smallLeaves : leaves);
  const settledSoFar = (): Promise<unknown> => Promise.all([leaves.settledSoFar(), smallLeaves.settledSoFar()]);
  /** Every rebuilt file is made durable with a batch of others before its rename. */
  const syncBatch = new SyncBatch();
  type RestoredDirectory = { relative: string; destination: string; entry: ManifestEntry; device: number };
  /** Restored directories on the current path, outermost first: each gets its metadata when it closes. */
  const openRestored: RestoredDirectory[] = [];
  /** Closed directories without search permission: set last, or later hard links could not reach into them. */
  const deferred: RestoredDirectory[] = [];
  const setDirectory = (dir: RestoredDirectory): Promise<void> => applyMetadata(dir.destination, dir.entry, (m) => warnings.add(dir.entry.path, m));
  const closeDirectory = async (dir: RestoredDirectory): Promise<void> => {
    if ((dir.entry.mode! & 0o100) === 0) {
      deferred.push(dir);
      return;
    }
    // Manifest order puts every later path outside it: only the tasks running now can still write inside.
    const inside = settledSoFar();
    await smallLeaves.add(async () => {
      await inside;
      await setDirectory(dir);
    });
  };

  // Second pass: the rules again (the store may have changed since), then the writing.
  const rules = rulesFor(key, backup, bases);
  try {
    for await (const entry of backupManifest(store, name, chain.chain, backup.id).entries()) {
      options.signal?.throwIfAborted();
      rules.check(entry);
      if (entry.type === 'deleted') continue;
      while (openRestored.length && !isWithin(entry.path, openRestored[openRestored.length - 1].relative)) await closeDirectory(openRestored.pop()!);
      const choice = selected(entry.path, roots);
      if (choice === 'no') continue;
      currentPath = entry.path;
      const destination = entry.path === '' ? destinationRoot : join(destinationRoot, ...entry.path.split('/'));
      const device = openRestored.length ? openRestored[openRestored.length - 1].device : rootDevice;
      if (entry.type === 'dir') {
        if (!(fresh && (await madeDirectory(destination))) && !(await clearWay(destination, true))) await mkdir(destination, { mode: 0o700 });
        openRestored.push({ relative: entry.path, destination, entry, device: (await lstat(destination)).dev });
        result.dirs++;
        handled++;
        progress();
      } else if (choice === 'yes') {
        let placed: ((where: string | undefined) => void) | undefined;
        let linkedTo: Promise<string | undefined> | undefined;
        if (entry.type === 'file') {
          // The first restored path of an inode is where its other links go: the inode's first path, or
          // the first selected one when --path left that out.
          const group = entry.linkTo ?? (entry.hardLinked ? entry.path : undefined);
          const known = group === undefined ? undefined : linkTargets.get(group);
          // Linked only to the same content: what is linked is not hash-checked again.
          linkedTo = known?.sha256 === entry.sha256 ? known?.where : undefined;
          // Forgotten at its last link; a stand-in for an unselected first path (or an old manifest) does not know the count.
          if (known && --known.pending <= 0) linkTargets.delete(group!);
          if (group !== undefined && !known) {
            const pending = entry.linkTo === undefined && entry.links !== undefined ? entry.links - 1 : Infinity;
            linkTargets.set(group, { where: new Promise((resolve) => (placed = resolve)), pending, sha256: entry.sha256 });
          }
        }
        await windowOf(entry).add(async () => {
          try {
            const where = await restoreLeaf(entry, destination, device, linkedTo);
            placed?.(where);
          } catch (err) {
            placed?.(undefined);
            if (!isDamage(err)) throw err;
            if (!options.keepGoing) throw stoppedAt(err, result);
            result.damagedCount++;
            if (result.damaged.length < MAX_LISTED) result.damaged.push({ path: entry.path, code: err.code, message: err.message });
          }
          handled++;
          progress();
        });
      }
    }
    await Promise.all([leaves.drain(), smallLeaves.drain()]);
    // The scratch directory goes first: removing it later would touch TARGET's time.
    await scratch.remove();
    // Deepest first: closed ones (in the order they closed), then the path still open, innermost first.
    for (const dir of deferred) await setDirectory(dir);
    for (let i = openRestored.length - 1; i >= 0; i--) await setDirectory(openRestored[i]);
    // The renames and the directories' metadata made durable too, before we report.
    await syncFileSystemOf(destinationRoot);
  } finally {
    // Nothing may still write once we report.
    await Promise.allSettled([leaves.drain(), smallLeaves.drain()]);
    await scratch.remove();
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;

  /**
   * Builds `destination` under a temporary name (in the scratch directory,
   * or beside it when a rename from there meets another file system) and
   * renames it into place: a path appears only complete, with its metadata.
   */
  async function place(destination: string, device: number, build: (temp: string) => Promise<void>): Promise<void> {
    const temp = await scratch.tempFor(destination, device);
    try {
      await build(temp);
    } catch (err) {
      await rm(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV' || !scratch.holds(temp)) throw err;
      const beside = await scratch.besideTemp(destination);
      try {
        await build(beside);
      } catch (again) {
        await rm(beside, { force: true });
        throw again;
      }
    }
  }

  /** Puts a file, symlink or FIFO in place; resolves with where a rebuilt file now is (for its other links). */
  async function restoreLeaf(entry: ManifestEntry, destination: string, device: number, linkedTo: Promise<string | undefined> | undefined): Promise<string | undefined> {
    if (!fresh) await clearWay(destination, false);
    const warn = (m: string): void => warnings.add(entry.path, m);
    if (entry.type === 'file') {
      const linked = await linkedTo;
      if (linked) {
        // The inode has its metadata already.
        await place(destination, device, async (temp) => {
          await link(linked, temp);
          await rename(temp, destination);
        });
        result.hardLinks++;
        return undefined;
      }
      await place(destination, device, (temp) =>
        rebuildFile(context, entry, destination, { tempPath: temp, beforeRename: (t, own) => applyMetadata(t, entry, warn, own), syncBatch: { batch: syncBatch, device } }),
      );
      result.files++;
      return destination;
    }
    if (entry.type === 'symlink') {
      await place(destination, device, async (temp) => {
        await symlink(entry.target!, temp);
        await applyMetadata(temp, entry, warn);
        await rename(temp, destination);
      });
      result.symlinks++;
    } else if (entry.type === 'fifo') {
      let made = true;
      await place(destination, device, async (temp) => {
        try {
          await run('mkfifo', ['-m', '600', '--', temp]);
        } catch (err) {
          warn(`FIFO not restored: mkfifo failed: ${(err as Error).message.split('\n')[0]}`);
          made = false;
          return;
        }
        await applyMetadata(temp, entry, warn);
        await rename(temp, destination);
      });
      if (made) result.fifos++;
    }
    return undefined;
  }
}
