// A store that wraps another: a cache (BlockCacheStore), encryption
// (EncryptedStore), a check (PlainStoreCheck). Whatever a layer does not
// override goes to the store below it, the engine's hints included (not
// readBlockBytes: a layer that reads in blocks has taken that on).
import { Readable } from 'node:stream';
import { BackupStore, ByteRange, LockKind, ObjectWriter, StoreLock } from './store';

export abstract class StoreLayer implements BackupStore {
  constructor(readonly inner: BackupStore) {}

  get location(): string {
    return this.inner.location;
  }
  get packTargetBytes(): number | undefined {
    return this.inner.packTargetBytes;
  }
  get uploadsInFlight(): number | undefined {
    return this.inner.uploadsInFlight;
  }
  open(options: { create: boolean }): Promise<void> {
    return this.inner.open(options);
  }
  writeObject(key: string): ObjectWriter {
    return this.inner.writeObject(key);
  }
  readObject(key: string, range?: ByteRange): Readable {
    return this.inner.readObject(key, range);
  }
  objectSize(key: string): Promise<number | undefined> {
    return this.inner.objectSize(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  remove(key: string): Promise<void> {
    return this.inner.remove(key);
  }
  sync(prefix: string): Promise<void> {
    return this.inner.sync(prefix);
  }
  lock(kind?: LockKind): Promise<StoreLock> {
    return this.inner.lock(kind);
  }
}
