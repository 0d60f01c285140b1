// Where backups live. Keys are '/'-separated relative names; the engine
// never assumes a file system, so an object store can implement this later.
import { Readable, Writable } from 'node:stream';

/** A Writable whose object becomes visible at its key, complete and durable, only once it finishes. */
export interface ObjectWriter extends Writable {
  /** Resolves once the writer has closed (after a failure: once its temporary data is gone). */
  settled(): Promise<void>;
}

export interface ByteRange {
  start: number;
  /** Exclusive end; absent: to the end of the object. */
  end?: number;
}

export interface StoreLock {
  release(): Promise<void>;
  /** Set when the lock could only be kept in part (a reader on a read-only store): say so to the user. */
  warning?: string;
  /**
   * Aborted (its reason a LibrsyncError) when the lock can no longer be
   * trusted: another process removed it as stale, or it could not be
   * refreshed for so long that others may take it over. The holder stops
   * and commits nothing. Absent for locks that cannot be lost (a local
   * store's lock of a live process).
   */
  lost?: AbortSignal;
}

/**
 * writer: backup (one at a time; readers go on). exclusive: prune (no
 * writer, no reader). reader: restore, verify (any number, with writers;
 * none while a prune runs).
 */
export type LockKind = 'writer' | 'exclusive' | 'reader';

export interface BackupStore {
  /** A human-readable location, for messages. */
  readonly location: string;
  /** Checks the store's format marker; with `create`, makes an empty store if there is none. */
  open(options: { create: boolean }): Promise<void>;
  writeObject(key: string): ObjectWriter;
  /** The object's bytes (or a range of them); a missing object fails with BACKUP_OBJECT_MISSING. */
  readObject(key: string, range?: ByteRange): Readable;
  /** Size in bytes, or undefined when there is no such object. */
  objectSize(key: string): Promise<number | undefined>;
  /** Names directly below `prefix` ('' = the top), objects and sub-prefixes alike, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes an object, or everything below a prefix. */
  remove(key: string): Promise<void>;
  /** Makes objects finished so far below `prefix` durable (and their names, on a file system). */
  sync(prefix: string): Promise<void>;
  /** A lock of `kind` (default writer), or BACKUP_LOCKED saying who holds what it conflicts with; locks of dead processes are taken over. */
  lock(kind?: LockKind): Promise<StoreLock>;

  // Hints to the backup engine: how this store wants its objects. Both are
  // optional (absent: the local store's values); an invalid one fails a
  // backup with RS_PARAM_ERROR before anything is written.

  /**
   * A pack (the object many stored files, deltas or signatures share) is
   * closed at the first segment boundary past this many bytes, so a pack
   * holds at least this much unless it is the backup's last, and exceeds it
   * by at most one segment (one file's data or delta, or its signature).
   * A positive integer; default 256 MiB (PACK_TARGET_BYTES), few objects and
   * fsyncs on a file system. An object store says about 32 MiB: big enough
   * that a level of 100,000 small files makes a few dozen objects (requests
   * are billed, listings come 1000 keys a page), small enough to retry.
   */
  readonly packTargetBytes?: number;

  /**
   * How many pack writers of one kind (data packs, signature packs) may be
   * open at once: the one being filled and those closed but still
   * finishing (an upload's last parts, its completion). A full pack is
   * ended without waiting for it to finish while fewer than this many are
   * open; at the limit the backup waits for the oldest first. Every one
   * has finished, and any failure has failed the backup, before the
   * manifest is written. A positive integer; default 1: each pack is
   * finished before the next one starts (the local store: an fsync and a
   * rename are quick, and a disk gains nothing from more). Memory: the
   * engine keeps none of a pack's bytes once its writer took them, so the
   * bound is the store's: at most 2 x uploadsInFlight pack writers (plus
   * the manifest's) are open at once, each buffering what its writeObject()
   * buffers (its highWaterMark, or its parts in flight).
   */
  readonly uploadsInFlight?: number;

  /**
   * Set by a store where a request costs much more than its bytes (an
   * object store: a round trip, a signature, a billed GET): the engine then
   * reads packs in aligned blocks of this many bytes through a small cache
   * (BlockCacheStore), so that the pieces of neighbouring files, or the
   * hundreds of signatures a level needs from one small signature pack, come in one
   * request rather than one each. Absent: every ranged read goes to the
   * store as it is (a file system has its page cache).
   */
  readonly readBlockBytes?: number;
}

/** A store given as a directory path means the local-directory store. */
export type StoreArgument = BackupStore | string;
