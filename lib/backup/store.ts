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
}

/** A store given as a directory path means the local-directory store. */
export type StoreArgument = BackupStore | string;
