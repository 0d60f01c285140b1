// A layer that encrypts any BackupStore (a local directory, S3, a test's
// store): every object the engine writes is stored sealed in authenticated
// segments (object-cipher.ts) under a key whose first component, the
// backup name, is encrypted too (name-cipher.ts); chain ids, backup ids,
// pack and manifest names are counters and fixed names and stay as they
// are. The store's format marker, its locks and its key objects
// (key-ring.ts) are the only plaintext. open() unlocks the master key with
// the passphrase, before any other work: a wrong one is STORE_KEY_WRONG.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { LibrsyncError, paramError } from '../../errors';
import { StoreLayer } from '../store-layer';
import { BackupStore, ByteRange, ObjectWriter } from '../store';
import { decryptRange, decryptWhole } from './decrypting-reader';
import { EncryptingWriter } from './encrypting-writer';
import { ScryptParams } from './key-object';
import { KEYS_PREFIX, addKey, keyIds, unlock } from './key-ring';
import { NameCipher } from './name-cipher';
import { HEADER_BYTES, keyOfHeader, plainSizeOf } from './object-cipher';
import { MASTER_KEY_BYTES, Subkeys, deriveSubkeys } from './subkeys';

export interface EncryptedStoreOptions {
  /** The passphrase: opens one of the store's keys (makes its first when the store is created). */
  password: string;
  /** Make the store encrypted when it holds no backups yet (it is created first when missing and open({create:true}) asks for it). */
  encrypt?: boolean;
  /** scrypt parameters of a key made here (default DEFAULT_SCRYPT; tests use cheaper ones). */
  kdf?: ScryptParams;
}

/** Objects whose size and key ranged reads keep (packs never change once written; writes and removals here forget theirs). */
const KNOWN_OBJECTS = 256;

interface Unlocked {
  keyId: string;
  master: Buffer;
  subkeys: Subkeys;
  names: NameCipher;
}

export class EncryptedStore extends StoreLayer {
  private unlocked: Unlocked | undefined;
  /** Encrypted size and object key by stored key, least recently used first. */
  private readonly known = new Map<string, Promise<{ size: number; key: Buffer }>>();

  constructor(
    inner: BackupStore,
    private readonly options: EncryptedStoreOptions,
  ) {
    super(inner);
    if (options.password === '') throw paramError('the passphrase is empty');
  }

  /** The id of the key object the passphrase opened (once open). */
  get keyInUse(): string {
    return this.state().keyId;
  }

  /** The master key (once open), for adding a key object that wraps it. */
  get masterKey(): Buffer {
    return this.state().master;
  }

  private state(): Unlocked {
    if (!this.unlocked) throw new Error('EncryptedStore used before open()');
    return this.unlocked;
  }

  override async open({ create }: { create: boolean }): Promise<void> {
    const { encrypt } = this.options;
    await this.inner.open({ create: create && encrypt === true }).catch((err: unknown) => {
      if (err instanceof LibrsyncError && err.code === 'BACKUP_NOT_FOUND' && create) {
        throw new LibrsyncError('BACKUP_NOT_FOUND', `${err.message} (a new store is made encrypted with --encrypt, or by librsync init --encrypt)`);
      }
      throw err;
    });
    let ids = await keyIds(this.inner);
    if (ids.length === 0 && encrypt) ids = await this.makeEncrypted();
    if (ids.length === 0) {
      throw new LibrsyncError(
        'STORE_NOT_ENCRYPTED',
        `${this.location} is not an encrypted store, yet a passphrase was given (LIBRSYNC_PASSWORD, --password-file or the password option): ` +
          'it is refused rather than trusted unencrypted; to use a plain store, give no passphrase (unset LIBRSYNC_PASSWORD)',
      );
    }
    // The same object opened again (one per run, or kept by a caller): unlocked already while its key is there.
    if (this.unlocked && ids.includes(this.unlocked.keyId)) return;
    const { master, id } = await unlock(this.inner, this.options.password, ids);
    const subkeys = deriveSubkeys(master);
    this.unlocked = { keyId: id, master, subkeys, names: new NameCipher(subkeys) };
  }

  /** Makes a store without backups encrypted (its first key object), under its exclusive lock; the key ids then. */
  private async makeEncrypted(): Promise<string[]> {
    const lock = await this.inner.lock('exclusive');
    try {
      const ids = await keyIds(this.inner);
      if (ids.length > 0) return ids; // another process made it encrypted first
      const held = (await this.inner.list('')).filter((name) => name !== KEYS_PREFIX);
      if (held.length > 0) {
        throw new LibrsyncError('STORE_NOT_ENCRYPTED', `${this.location} is a plain store holding backups (${held.slice(0, 3).join(', ')}): it cannot be made encrypted; use a new store`);
      }
      const master = randomBytes(MASTER_KEY_BYTES);
      return [await addKey(this.inner, this.options.password, master, this.options.kdf)];
    } finally {
      await lock.release();
    }
  }

  /** The key an object is stored under: its first component (the backup name) encrypted. */
  private storedKey(key: string): string {
    if (key === '') return '';
    const slash = key.indexOf('/');
    const name = slash < 0 ? key : key.slice(0, slash);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw paramError(`invalid store key '${key}': it must start with a backup name`);
    return this.state().names.encrypt(name) + (slash < 0 ? '' : key.slice(slash));
  }

  /** An error of the store below, telling the key as the engine knows it rather than encrypted. */
  private plainError(err: unknown, stored: string, key: string): unknown {
    if (!(err instanceof LibrsyncError) || !err.message.includes(stored)) return err;
    const out = new LibrsyncError(err.code, err.message.split(stored).join(key), { cause: err.cause, detail: err.detail });
    return out;
  }

  private forget(key: string): void {
    for (const id of [...this.known.keys()]) if (id === key || id.startsWith(`${key}/`)) this.known.delete(id);
  }

  override writeObject(key: string): ObjectWriter {
    const stored = this.storedKey(key);
    this.forget(stored);
    return new EncryptingWriter(this.inner.writeObject(stored), this.state().subkeys.objects, key);
  }

  override readObject(key: string, range?: ByteRange): Readable {
    const stored = this.storedKey(key);
    const objects = this.state().subkeys.objects;
    const self = this;
    async function* plaintext(): AsyncGenerator<Buffer> {
      try {
        if (range === undefined) {
          yield* decryptWhole(self.inner.readObject(stored), objects, key);
          return;
        }
        const { size, key: objectKey } = await self.objectInfo(stored, key);
        const read = (r: Required<ByteRange>): Readable => self.inner.readObject(stored, r);
        yield* decryptRange(read, objectKey, key, plainSizeOf(size, key), range);
      } catch (err) {
        self.forget(stored); // the object may have been replaced since its size and key were learnt
        throw self.plainError(err, stored, key);
      }
    }
    return Readable.from(plaintext(), { objectMode: false });
  }

  /** Encrypted size and object key, kept for the next ranged reads of the same object. */
  private objectInfo(stored: string, key: string): Promise<{ size: number; key: Buffer }> {
    let info = this.known.get(stored);
    if (info) {
      this.known.delete(stored); // most recently used: to the end
    } else {
      info = (async () => {
        const size = await this.inner.objectSize(stored);
        if (size === undefined) throw new LibrsyncError('BACKUP_OBJECT_MISSING', `store object ${key} is missing`);
        const chunks: Buffer[] = [];
        for await (const chunk of this.inner.readObject(stored, { start: 0, end: Math.min(size, HEADER_BYTES) })) chunks.push(chunk as Buffer);
        return { size, key: keyOfHeader(this.state().subkeys.objects, Buffer.concat(chunks), key) };
      })();
      info.catch(() => this.known.delete(stored));
    }
    this.known.set(stored, info);
    while (this.known.size > KNOWN_OBJECTS) this.known.delete(this.known.keys().next().value!);
    return info;
  }

  override async objectSize(key: string): Promise<number | undefined> {
    const size = await this.inner.objectSize(this.storedKey(key));
    return size === undefined ? undefined : plainSizeOf(size, key);
  }

  /** At the top, the backup names: stored names that do not decrypt with this store's key are left out. */
  override async list(prefix: string): Promise<string[]> {
    if (prefix !== '') return this.inner.list(this.storedKey(prefix));
    const names = this.state().names;
    const plain: string[] = [];
    for (const stored of await this.inner.list('')) {
      const name = names.decrypt(stored);
      if (name !== undefined) plain.push(name);
    }
    return plain.sort();
  }

  override async remove(key: string): Promise<void> {
    const stored = this.storedKey(key);
    this.forget(stored);
    await this.inner.remove(stored);
  }

  override sync(prefix: string): Promise<void> {
    return this.inner.sync(this.storedKey(prefix));
  }
}
