// initStore(): a new store, plain or encrypted, made on purpose (`librsync
// init`), rather than by the first backup. A store that exists already is
// STORE_EXISTS, never changed.
import { LibrsyncError, paramError } from '../../errors';
import { StoreAccessOptions } from '../engine-options';
import { openStoreArgument } from '../open-store';
import { BackupStore, StoreArgument } from '../store';
import { EncryptedStore } from './encrypted-store';
import { ScryptParams } from './key-object';
import { PASSWORD_HINT } from './plain-store-check';

export interface InitOptions extends StoreAccessOptions {
  /** scrypt parameters of the first key (default DEFAULT_SCRYPT). */
  kdf?: ScryptParams;
}

export interface InitResult {
  location: string;
  encrypted: boolean;
  /** The id of the first key (encrypted stores). */
  keyId?: string;
}

/** Whether a store is there already (its marker can be read); a missing or empty place is not. */
async function exists(store: BackupStore): Promise<boolean> {
  try {
    await store.open({ create: false });
    return true;
  } catch (err) {
    if (err instanceof LibrsyncError && (err.code === 'BACKUP_NOT_FOUND' || (err.code === 'BACKUP_STORE_INVALID' && / is not a backup store \(no /.test(err.message)))) return false;
    throw err;
  }
}

export async function initStore(argument: StoreArgument, options: InitOptions = {}): Promise<InitResult> {
  if (options.encrypt && options.password === undefined) throw new LibrsyncError('STORE_PASSWORD_REQUIRED', `a new encrypted store needs a passphrase: ${PASSWORD_HINT}`);
  if (!options.encrypt && options.password !== undefined) {
    throw paramError('a passphrase was given for a plain store: ask for encryption (--encrypt, the encrypt option), or give no passphrase (unset LIBRSYNC_PASSWORD)');
  }
  const checked = openStoreArgument(argument);
  const raw = 'inner' in checked ? (checked as { inner: BackupStore }).inner : checked;
  if (await exists(raw)) throw new LibrsyncError('STORE_EXISTS', `${raw.location} is a backup store already`);
  if (!options.encrypt) {
    await raw.open({ create: true });
    return { location: raw.location, encrypted: false };
  }
  const store = new EncryptedStore(raw, { password: options.password!, encrypt: true, kdf: options.kdf });
  await store.open({ create: true });
  return { location: raw.location, encrypted: true, keyId: store.keyInUse };
}
