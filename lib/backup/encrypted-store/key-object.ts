// A key object: the store's master key wrapped by one passphrase. Plain
// JSON (it is what a passphrase opens, so it cannot itself be encrypted):
// the KDF and its parameters (scrypt, memory-hard, run on libuv's thread
// pool so the event loop goes on), its salt, the master key sealed with
// AES-256-GCM under the key the passphrase derives, when and where it was
// made. Everything read from one is bounded before use: a hostile store
// cannot make us allocate more than MAX_KDF_MEMORY or parse a huge object.
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { LibrsyncError } from '../../errors';
import { MASTER_KEY_BYTES } from './subkeys';

export interface ScryptParams {
  /** Cost: a power of two. */
  N: number;
  r: number;
  p: number;
}

/** restic's and the scrypt paper's interactive-login choice, doubled: 128 MiB and about half a second. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 17, r: 8, p: 1 };
/** The most memory a key object's parameters may ask for (128 x N x r bytes). */
export const MAX_KDF_MEMORY = 256 << 20;
/** The longest key object read. */
export const MAX_KEY_OBJECT_BYTES = 16 << 10;
const SALT_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ADDITIONAL_DATA = Buffer.from('librsync-backup master key v1');

export interface KeyObject {
  format: 'librsync-backup-key';
  version: 1;
  created: string;
  host: string;
  user: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  masterKey: { cipher: 'aes-256-gcm'; nonce: string; sealed: string };
}

function invalid(where: string, why: string): LibrsyncError {
  return new LibrsyncError('BACKUP_STORE_INVALID', `key object ${where} ${why}`);
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt's own 128 x N x r, plus its 128 x r x p and some room.
    scrypt(password.normalize('NFC'), salt, 32, { ...params, maxmem: 128 * params.N * params.r + 128 * params.r * params.p + (1 << 20) }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function checkScryptParams(params: ScryptParams, where: string): void {
  const { N, r, p } = params;
  const integer = (n: unknown, min: number, max: number): boolean => Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;
  if (!integer(N, 1 << 10, 1 << 24) || (N & (N - 1)) !== 0) throw invalid(where, `has scrypt N ${String(N)}: a power of two from 2^10 to 2^24 is expected`);
  if (!integer(r, 1, 64) || !integer(p, 1, 16)) throw invalid(where, `has scrypt r ${String(r)}, p ${String(p)}: r from 1 to 64 and p from 1 to 16 are expected`);
  if (128 * N * r > MAX_KDF_MEMORY) throw invalid(where, `asks scrypt for ${(128 * N * r) / (1 << 20)} MiB; at most ${MAX_KDF_MEMORY / (1 << 20)} MiB is allowed`);
}

/** A new key object: `master` wrapped by `password`. */
export async function makeKeyObject(password: string, master: Buffer, params: ScryptParams = DEFAULT_SCRYPT): Promise<KeyObject> {
  checkScryptParams(params, '(new)');
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', await derive(password, salt, params), nonce);
  cipher.setAAD(ADDITIONAL_DATA);
  const sealed = Buffer.concat([cipher.update(master), cipher.final(), cipher.getAuthTag()]);
  let user = '';
  try {
    user = userInfo().username;
  } catch {
    // No entry for our uid (a container): the label stays empty.
  }
  return {
    format: 'librsync-backup-key',
    version: 1,
    created: new Date().toISOString(),
    host: hostname(),
    user,
    kdf: { name: 'scrypt', ...params, salt: salt.toString('base64') },
    masterKey: { cipher: 'aes-256-gcm', nonce: nonce.toString('base64'), sealed: sealed.toString('base64') },
  };
}

function base64Field(value: unknown, bytes: number, where: string, field: string): Buffer {
  const decoded = typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
  if (!decoded || decoded.length !== bytes) throw invalid(where, `has an invalid ${field}`);
  return decoded;
}

/** The key object in `text`, checked field by field; BACKUP_STORE_INVALID naming `where` otherwise. */
export function parseKeyObject(text: string, where: string): KeyObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(where, 'is not valid JSON');
  }
  const o = value as Partial<KeyObject>;
  if (!o || typeof o !== 'object' || o.format !== 'librsync-backup-key') throw invalid(where, 'is not a librsync key object');
  if (o.version !== 1) throw invalid(where, `has version ${String(o.version)}; this version reads 1`);
  const kdf = o.kdf;
  if (!kdf || typeof kdf !== 'object' || kdf.name !== 'scrypt') throw invalid(where, 'names no KDF this version knows (scrypt)');
  checkScryptParams(kdf, where);
  base64Field(kdf.salt, SALT_BYTES, where, 'salt');
  const m = o.masterKey;
  if (!m || typeof m !== 'object' || m.cipher !== 'aes-256-gcm') throw invalid(where, 'has no AES-256-GCM wrapped master key');
  base64Field(m.nonce, NONCE_BYTES, where, 'nonce');
  base64Field(m.sealed, MASTER_KEY_BYTES + TAG_BYTES, where, 'wrapped master key');
  for (const field of ['created', 'host', 'user'] as const) if (typeof o[field] !== 'string' || o[field]!.length > 256) throw invalid(where, `has an invalid ${field}`);
  return o as KeyObject;
}

/** The master key `password` unwraps from a (parsed) key object, or undefined when it is not that key's passphrase. */
export async function unwrapMasterKey(key: KeyObject, password: string): Promise<Buffer | undefined> {
  const { N, r, p, salt } = key.kdf;
  const derived = await derive(password, Buffer.from(salt, 'base64'), { N, r, p });
  const sealed = Buffer.from(key.masterKey.sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', derived, Buffer.from(key.masterKey.nonce, 'base64'));
  decipher.setAAD(ADDITIONAL_DATA);
  decipher.setAuthTag(sealed.subarray(MASTER_KEY_BYTES));
  const master = decipher.update(sealed.subarray(0, MASTER_KEY_BYTES));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return master;
}
