// The format of an encrypted object, and sealing and opening its segments.
//
//   header:   "LRSE" | version 1 | salt (32 random bytes)
//   segments: AES-256-GCM ciphertext of up to SEGMENT_BYTES of plaintext | 16-byte tag
//
// Every object has its own key, HKDF(objects key, salt): salts are random,
// so no two objects share a key, and a segment's nonce can simply be its
// index (which therefore never repeats under one key). Each segment's
// additional data binds whether it is the last and the object's logical
// key (the plaintext name it is stored under), so a segment moved within
// the object, to another object, or an object renamed, truncated at a
// segment boundary or extended fails authentication. A segment is only
// passed on once its tag checked. An empty object is one empty segment.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { LibrsyncError } from '../../errors';

const MAGIC = Buffer.from('LRSE');
const VERSION = 1;
const SALT_BYTES = 32;
export const HEADER_BYTES = MAGIC.length + 1 + SALT_BYTES;
/** Plaintext bytes of every segment but the last (a writer buffers at most this much). */
export const SEGMENT_BYTES = 64 << 10;
export const TAG_BYTES = 16;
const SEALED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES;

export function objectCorrupt(key: string, why: string): LibrsyncError {
  return new LibrsyncError('BACKUP_CORRUPT', `encrypted store object ${key} ${why}`);
}

/** A new object's header and its key. */
export function newObjectHeader(objectsKey: Buffer): { header: Buffer; key: Buffer } {
  const salt = randomBytes(SALT_BYTES);
  return { header: Buffer.concat([MAGIC, Buffer.from([VERSION]), salt]), key: objectKey(objectsKey, salt) };
}

/** The key of the object whose header this is; BACKUP_CORRUPT when it is no header of ours. */
export function keyOfHeader(objectsKey: Buffer, header: Buffer, logicalKey: string): Buffer {
  if (header.length < HEADER_BYTES) throw objectCorrupt(logicalKey, `is truncated (${header.length} bytes, shorter than its header)`);
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw objectCorrupt(logicalKey, 'is not encrypted (no LRSE header): a plaintext object in an encrypted store');
  if (header[MAGIC.length] !== VERSION) throw objectCorrupt(logicalKey, `has encryption format version ${header[MAGIC.length]}; this version reads ${VERSION}`);
  return objectKey(objectsKey, header.subarray(MAGIC.length + 1, HEADER_BYTES));
}

function objectKey(objectsKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', objectsKey, salt, 'librsync-backup object v1', 32));
}

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function additionalData(logicalKey: string, last: boolean): Buffer {
  return Buffer.concat([Buffer.from([last ? 1 : 0]), Buffer.from(logicalKey, 'utf8')]);
}

export function sealSegment(key: Buffer, logicalKey: string, index: number, last: boolean, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce(index));
  cipher.setAAD(additionalData(logicalKey, last));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext of a sealed segment, once its tag checked; BACKUP_CORRUPT naming the object otherwise. */
export function openSegment(key: Buffer, logicalKey: string, index: number, last: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_BYTES) throw objectCorrupt(logicalKey, `is truncated inside segment ${index}`);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce(index));
  decipher.setAAD(additionalData(logicalKey, last));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    throw objectCorrupt(logicalKey, `fails authentication at segment ${index}${last ? ' (the last)' : ''}: damaged, truncated, extended, reordered or not this object's`);
  }
  return plaintext;
}

/** Bytes an object of `plainSize` bytes takes encrypted. */
export function sealedSize(plainSize: number): number {
  return HEADER_BYTES + plainSize + segmentCount(plainSize) * TAG_BYTES;
}

export function segmentCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / SEGMENT_BYTES));
}

/** The plaintext size of an encrypted object of `size` bytes; BACKUP_CORRUPT for a size no object has. */
export function plainSizeOf(size: number, logicalKey: string): number {
  const body = size - HEADER_BYTES;
  if (body < TAG_BYTES) throw objectCorrupt(logicalKey, `is truncated (${size} bytes)`);
  const segments = Math.ceil(body / SEALED_SEGMENT_BYTES);
  const plain = body - segments * TAG_BYTES;
  if (plain < 0 || (segments > 1 && plain <= (segments - 1) * SEGMENT_BYTES)) throw objectCorrupt(logicalKey, `has a size no encrypted object has (${size} bytes): truncated inside a segment`);
  return plain;
}

/** Where segment `index` starts in the encrypted object. */
export function sealedOffset(index: number): number {
  return HEADER_BYTES + index * SEALED_SEGMENT_BYTES;
}

/** Bytes segment `index` takes encrypted, in an object of `plainSize` plaintext bytes. */
export function sealedLength(index: number, plainSize: number): number {
  return Math.min(SEGMENT_BYTES, plainSize - index * SEGMENT_BYTES) + TAG_BYTES;
}
