// What a store opened without a passphrase is wrapped in: it passes
// everything through, and its open() refuses an encrypted store with
// STORE_PASSWORD_REQUIRED (one listing of the key objects), rather than
// letting the engine take encrypted names and objects for damage.
import { Readable } from 'node:stream';
import { LibrsyncError } from '../../errors';
import { BackupStore, ByteRange, LockKind, ObjectWriter, StoreLock } from '../store';
import { keyIds } from './key-ring';

export const PASSWORD_HINT = 'give its passphrase in LIBRSYNC_PASSWORD, with --password-file FILE, or at the prompt on a terminal (the library: the password option)';

export class PlainStoreCheck implements BackupStore {
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

  async open(options: { create: boolean }): Promise<void> {
    await this.inner.open(options);
    if ((await keyIds(this.inner)).length > 0) throw new LibrsyncError('STORE_PASSWORD_REQUIRED', `${this.location} is an encrypted store: ${PASSWORD_HINT}`);
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
