// The passphrases of an encrypted store, restic's way: several key objects
// wrap the one master key, so a passphrase is added, removed or changed
// without re-encrypting anything. Each change holds the store's writer
// lock (one change, or backup, at a time). The key in use (the one the
// given passphrase opens) and the last key are never removed.
import { LibrsyncError, paramError } from '../../errors';
import { StoreAccessOptions } from '../engine-options';
import { openStoreArgument } from '../open-store';
import { StoreArgument } from '../store';
import { EncryptedStore } from './encrypted-store';
import { ScryptParams } from './key-object';
import { addKey, keyIds, readKey, removeKey } from './key-ring';


export interface StoreKeyInfo {
  id: string;
  /** ISO 8601 time the key was added. */
  created: string;
  host: string;
  user: string;
  /** The key the given passphrase opened. */
  inUse: boolean;
}

export interface StoreKeyOptions extends Pick<StoreAccessOptions, 'password'> {
  /** scrypt parameters of a key added (default DEFAULT_SCRYPT). */
  kdf?: ScryptParams;
}

/** The store opened with its passphrase (open() checks it: STORE_KEY_WRONG before anything else). */
async function openEncrypted(argument: StoreArgument, options: StoreKeyOptions): Promise<EncryptedStore> {
  const store = openStoreArgument(argument, { password: options.password });
  if (!(store instanceof EncryptedStore)) {
    await store.open({ create: false });
    throw new LibrsyncError('STORE_NOT_ENCRYPTED', `${store.location} is not an encrypted store: it has no keys`);
  }
  await store.open({ create: false });
  return store;
}

async function whileLocked<T>(store: EncryptedStore, work: () => Promise<T>): Promise<T> {
  const lock = await store.inner.lock('writer');
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

export async function listStoreKeys(argument: StoreArgument, options: StoreKeyOptions): Promise<StoreKeyInfo[]> {
  const store = await openEncrypted(argument, options);
  const out: StoreKeyInfo[] = [];
  for (const id of await keyIds(store.inner)) {
    const { key } = await readKey(store.inner, id);
    out.push({ id, created: key.created, host: key.host, user: key.user, inUse: id === store.keyInUse });
  }
  return out;
}

function checkNewPassword(newPassword: string | undefined): string {
  if (newPassword === undefined || newPassword === '') throw paramError('a new passphrase is needed (and may not be empty)');
  return newPassword;
}

/** Adds a key object for `newPassword`; its id. */
export async function addStoreKey(argument: StoreArgument, newPassword: string, options: StoreKeyOptions): Promise<string> {
  const password = checkNewPassword(newPassword);
  const store = await openEncrypted(argument, options);
  return whileLocked(store, () => addKey(store.inner, password, store.masterKey, options.kdf));
}

export async function removeStoreKey(argument: StoreArgument, id: string, options: StoreKeyOptions): Promise<void> {
  const store = await openEncrypted(argument, options);
  await whileLocked(store, async () => {
    const ids = await keyIds(store.inner);
    if (!ids.includes(id)) throw new LibrsyncError('BACKUP_NOT_FOUND', `no key ${id} in ${store.location}; its keys: ${ids.join(', ')}`);
    if (id === store.keyInUse) throw paramError(`key ${id} is the one in use (the passphrase given opens it): remove it with another passphrase, or change it with key passwd`);
    if (ids.length === 1) throw paramError(`key ${id} is the last key of ${store.location}: without it nothing there could be read`);
    await removeKey(store.inner, id);
  });
}

/** Replaces the key in use by one for `newPassword`: adds the new key, then removes the old one. */
export async function changeStorePassword(argument: StoreArgument, newPassword: string, options: StoreKeyOptions): Promise<{ added: string; removed: string }> {
  const password = checkNewPassword(newPassword);
  const store = await openEncrypted(argument, options);
  return whileLocked(store, async () => {
    const added = await addKey(store.inner, password, store.masterKey, options.kdf);
    await removeKey(store.inner, store.keyInUse);
    return { added, removed: store.keyInUse };
  });
}
