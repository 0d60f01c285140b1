// The key objects of an encrypted store, in the (plain) store below it:
// KEYS_PREFIX/ID, one per passphrase, each wrapping the same master key.
// KEYS_PREFIX starts with '_', so it can never be a backup name (those
// start with a letter or digit) and never meets one in a listing.
import { randomBytes } from 'node:crypto';
import { LibrsyncError } from '../../errors';
import { BackupStore } from '../store';
import { endAndFinish } from '../stream-waits';
import { KeyObject, MAX_KEY_OBJECT_BYTES, ScryptParams, makeKeyObject, parseKeyObject, unwrapMasterKey } from './key-object';

export const KEYS_PREFIX = '_keys';
const KEY_ID = /^[0-9a-f]{16}$/;
/** The most key objects a passphrase is tried against (each try is a KDF run); restic's limit too. */
export const MAX_KEYS_TRIED = 20;

export interface StoredKey {
  id: string;
  key: KeyObject;
}

export function newKeyId(): string {
  return randomBytes(8).toString('hex');
}

/** Ids of the key objects there are (none: the store is not encrypted). */
export async function keyIds(store: BackupStore): Promise<string[]> {
  return (await store.list(KEYS_PREFIX)).filter((name) => KEY_ID.test(name));
}

export async function readKey(store: BackupStore, id: string): Promise<StoredKey> {
  const where = `${KEYS_PREFIX}/${id} in ${store.location}`;
  const size = await store.objectSize(`${KEYS_PREFIX}/${id}`);
  if (size === undefined) throw new LibrsyncError('BACKUP_NOT_FOUND', `no key ${id} in ${store.location}`);
  if (size > MAX_KEY_OBJECT_BYTES) throw new LibrsyncError('BACKUP_STORE_INVALID', `key object ${where} is ${size} bytes; a key object is at most ${MAX_KEY_OBJECT_BYTES}`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of store.readObject(`${KEYS_PREFIX}/${id}`, { start: 0, end: size })) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_KEY_OBJECT_BYTES) throw new LibrsyncError('BACKUP_STORE_INVALID', `key object ${where} is longer than ${MAX_KEY_OBJECT_BYTES} bytes`);
  }
  return { id, key: parseKeyObject(Buffer.concat(chunks).toString('utf8'), where) };
}

/** Writes a new key object wrapping `master` with `password`; its id. */
export async function addKey(store: BackupStore, password: string, master: Buffer, params?: ScryptParams): Promise<string> {
  const key = await makeKeyObject(password, master, params);
  const id = newKeyId();
  const writer = store.writeObject(`${KEYS_PREFIX}/${id}`);
  try {
    await endAndFinish(writer, `${JSON.stringify(key, null, 2)}\n`);
  } finally {
    await writer.settled();
  }
  await store.sync(KEYS_PREFIX);
  return id;
}

export async function removeKey(store: BackupStore, id: string): Promise<void> {
  await store.remove(`${KEYS_PREFIX}/${id}`);
  await store.sync(KEYS_PREFIX);
}

/**
 * The master key `password` opens, and the id of the key object that
 * opened it. STORE_KEY_WRONG when none does; a damaged key object is
 * passed over (another may open), and its error given when none did (as
 * the error itself when no key could even be tried).
 */
export async function unlock(store: BackupStore, password: string, ids: string[]): Promise<{ master: Buffer; id: string }> {
  let damaged: LibrsyncError | undefined;
  let tried = 0;
  for (const id of ids.slice(0, MAX_KEYS_TRIED)) {
    let stored: StoredKey;
    try {
      stored = await readKey(store, id);
    } catch (err) {
      if (!(err instanceof LibrsyncError) || err.code !== 'BACKUP_STORE_INVALID') throw err;
      damaged ??= err;
      continue;
    }
    tried++;
    const master = await unwrapMasterKey(stored.key, password);
    if (master) return { master, id };
  }
  // Nothing a passphrase could be wrong for: the damage is the error.
  if (damaged && tried === 0) throw damaged;
  const some = ids.length > MAX_KEYS_TRIED ? ` (the first ${MAX_KEYS_TRIED} of its ${ids.length} keys were tried)` : '';
  const also = damaged ? `; ${damaged.message}` : '';
  throw new LibrsyncError('STORE_KEY_WRONG', `wrong passphrase for the encrypted store ${store.location}: it opens none of its keys${some}${also}`);
}
