// The store on a local file system: each key is a file below the root.
// Objects are written to a temporary name, fsync'ed and renamed (the
// AtomicFileWriter); sync() fsyncs directories so renames survive a crash.
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { AtomicFileWriter, fsyncDirectory } from '../atomic-file';
import { LibrsyncError, paramError } from '../errors';
import { FileRangeReader } from './file-range-reader';
import { takeLockFile } from './lock-file';
import { READERS_WAIT_MS, awaitNoReaders, takeReaderLock } from './reader-locks';
import { PACK_TARGET_BYTES } from './pack-writer';
import { endAndFinish } from './stream-waits';
import { BackupStore, ByteRange, LockKind, ObjectWriter, StoreLock } from './store';
import { checkStoreMarker, storeMarkerText, upgradeNeeded } from './store-marker';

/** The marker at the root of every store (store-marker.ts: what it holds). */
export const STORE_FORMAT_FILE = 'librsync-backup.json';
const DATA_DIR = 'backups';

function checkKey(key: string): void {
  if (key !== '' && (key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..'))) {
    throw paramError(`invalid store key '${key}'`);
  }
}

export class LocalDirectoryStore implements BackupStore {
  readonly location: string;
  /** Big packs: few files and fsyncs; a disk gains nothing from smaller ones. */
  readonly packTargetBytes: number = PACK_TARGET_BYTES;
  /** A pack's fsync and rename are quick: each finishes before the next starts. */
  readonly uploadsInFlight: number = 1;
  private readonly dataRoot: string;

  constructor(
    root: string,
    /** How long a prune waits for restores and verifies that are reading to finish. */
    private readonly readersWaitMs = READERS_WAIT_MS,
  ) {
    this.location = resolve(root);
    this.dataRoot = join(this.location, DATA_DIR);
  }

  private pathOf(key: string): string {
    checkKey(key);
    return key === '' ? this.dataRoot : join(this.dataRoot, ...key.split('/'));
  }

  async open({ create }: { create: boolean }): Promise<void> {
    const markerPath = join(this.location, STORE_FORMAT_FILE);
    let text: string;
    try {
      text = await readFile(markerPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!create) {
        const there = await stat(this.location).catch(() => undefined);
        if (!there) throw new LibrsyncError('BACKUP_NOT_FOUND', `${this.location} does not exist: no backup store there`);
        throw new LibrsyncError('BACKUP_STORE_INVALID', `${this.location} is not a backup store (no ${STORE_FORMAT_FILE})`);
      }
      await this.create(markerPath);
      return;
    }
    const version = checkStoreMarker(text, this.location, markerPath);
    await this.removeOldMarkerTemporaries();
    if (upgradeNeeded(version, create)) {
      const writer = new AtomicFileWriter(markerPath, { overwrite: true, mode: 0o600 });
      try {
        await endAndFinish(writer, storeMarkerText());
      } catch (err) {
        await writer.settled();
        throw err;
      }
      await fsyncDirectory(this.location);
    }
  }

  /** Temporary markers of creations that were killed (or lost a race), once surely nobody's. */
  private async removeOldMarkerTemporaries(): Promise<void> {
    const names = await readdir(this.location).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(`.${STORE_FORMAT_FILE}.`) || !name.endsWith('.tmp')) continue;
      const path = join(this.location, name);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > 60_000) await rm(path, { force: true });
    }
  }

  /**
   * Makes a new store. A creation that was killed (or ran out of space)
   * leaves at most an empty data directory and a temporary marker: such a
   * directory is finished, not refused. Anything else is left alone. Two
   * processes creating the same store at once both end up opening it: the
   * marker is linked into place (EEXIST for the second), never replaced.
   */
  private async create(markerPath: string): Promise<void> {
    const existing = await readdir(this.location).catch((err: NodeJS.ErrnoException): string[] => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    // Made by another process since we looked.
    if (existing.includes(STORE_FORMAT_FILE)) return this.open({ create: false });
    for (const name of existing) {
      if (!(await this.isCreationLeftover(name))) {
        throw new LibrsyncError('BACKUP_STORE_INVALID', `${this.location} is not empty and not a backup store (no ${STORE_FORMAT_FILE})`);
      }
    }
    await mkdir(this.dataRoot, { recursive: true, mode: 0o700 });
    const writer = new AtomicFileWriter(markerPath, { overwrite: false, mode: 0o600 });
    try {
      await endAndFinish(writer, storeMarkerText());
    } catch (err) {
      await writer.settled();
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return this.open({ create: false });
      throw err;
    }
    await fsyncDirectory(this.location);
    await fsyncDirectory(dirname(this.location)).catch(() => undefined);
  }

  /** What an unfinished create() may have left: the empty data directory, a temporary marker. */
  private async isCreationLeftover(name: string): Promise<boolean> {
    if (name === DATA_DIR) return (await readdir(this.dataRoot).catch(() => ['?'])).length === 0;
    return name.startsWith(`.${STORE_FORMAT_FILE}.`) && name.endsWith('.tmp');
  }

  writeObject(key: string): ObjectWriter {
    const path = this.pathOf(key);
    const writer = new AtomicFileWriter(path, { mode: 0o600 });
    // Parent prefixes are created on demand, like an object store's.
    const original = writer._construct!.bind(writer);
    writer._construct = (callback) => {
      this.makeParents(dirname(path)).then(() => original(callback), callback);
    };
    return writer;
  }

  private async makeParents(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (first === undefined) return;
    // fsync each new directory's parent so the new names are durable.
    for (let d = dir; d.length >= first.length; d = dirname(d)) await fsyncDirectory(dirname(d));
  }

  readObject(key: string, range?: ByteRange): Readable {
    return new FileRangeReader(this.pathOf(key), key, range);
  }

  async objectSize(key: string): Promise<number | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? info.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    try {
      const names = await readdir(this.pathOf(prefix));
      return names.filter((n) => !n.endsWith('.tmp')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { recursive: true, force: true });
    await fsyncDirectory(dirname(path)).catch(() => undefined);
  }

  /**
   * Makes what was written under `prefix` durable. The prefix may not exist
   * yet: objects create their directories as they open, asynchronously, and
   * a backup that changed nothing can reach its commit before its manifest
   * writer has (seen once as an ENOENT on this fsync in a full test run).
   */
  async sync(prefix: string): Promise<void> {
    const path = this.pathOf(prefix);
    await this.makeParents(path);
    await fsyncDirectory(path);
  }

  async lock(kind: LockKind = 'writer'): Promise<StoreLock> {
    const lockPath = join(this.location, 'lock');
    const readers = join(this.location, 'readers');
    if (kind === 'reader') return takeReaderLock(readers, lockPath);
    const lock = await takeLockFile(lockPath, kind);
    if (kind === 'exclusive') {
      // New readers now refuse to start; those already reading may finish.
      await awaitNoReaders(readers, this.readersWaitMs).catch(async (err) => {
        await lock.release();
        throw err;
      });
    }
    return lock;
  }
}
