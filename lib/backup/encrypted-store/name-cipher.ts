// Backup names (the first component of every key: the source directory's
// name by default) stored encrypted, deterministically, so that a name
// always maps to the same stored prefix: AES-256-GCM with a synthetic IV,
// HMAC-SHA256(name key, padded name) cut to 12 bytes (SIV-style: one IV
// per distinct name, so a nonce is only ever reused for the very same
// plaintext). Names are padded to the longest a name may be (128 bytes):
// the stored name does not even tell the name's length. Written in base32:
// 12 + 128 + 16 bytes make 250 letters and digits, under the 255 bytes a
// file name may have.
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { base32Decode, base32Encode } from './base32';
import { Subkeys } from './subkeys';

const PADDED_BYTES = 128;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ADDITIONAL_DATA = Buffer.from('librsync-backup name v1');
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const ENCRYPTED_NAME_LENGTH = Math.ceil(((IV_BYTES + PADDED_BYTES + TAG_BYTES) * 8) / 5);

export class NameCipher {
  private readonly known = new Map<string, string>();

  constructor(private readonly keys: Pick<Subkeys, 'nameCipher' | 'nameMac'>) {}

  private iv(padded: Buffer): Buffer {
    return createHmac('sha256', this.keys.nameMac).update(padded).digest().subarray(0, IV_BYTES);
  }

  /** The stored form of a valid backup name. */
  encrypt(name: string): string {
    let stored = this.known.get(name);
    if (stored === undefined) {
      const padded = Buffer.alloc(PADDED_BYTES);
      padded.write(name, 'utf8');
      const iv = this.iv(padded);
      const cipher = createCipheriv('aes-256-gcm', this.keys.nameCipher, iv);
      cipher.setAAD(ADDITIONAL_DATA);
      stored = base32Encode(Buffer.concat([iv, cipher.update(padded), cipher.final(), cipher.getAuthTag()]));
      if (this.known.size < 1000) this.known.set(name, stored);
    }
    return stored;
  }

  /** The name a stored one stands for, or undefined when it is not one of ours (another key's, damaged, or something else). */
  decrypt(stored: string): string | undefined {
    if (stored.length !== ENCRYPTED_NAME_LENGTH) return undefined;
    const bytes = base32Decode(stored);
    if (!bytes || bytes.length !== IV_BYTES + PADDED_BYTES + TAG_BYTES) return undefined;
    const iv = bytes.subarray(0, IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.keys.nameCipher, iv);
    decipher.setAAD(ADDITIONAL_DATA);
    decipher.setAuthTag(bytes.subarray(IV_BYTES + PADDED_BYTES));
    const padded = decipher.update(bytes.subarray(IV_BYTES, IV_BYTES + PADDED_BYTES));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    if (!this.iv(padded).equals(iv)) return undefined;
    const end = padded.indexOf(0);
    const name = padded.subarray(0, end < 0 ? PADDED_BYTES : end).toString('utf8');
    if (!NAME.test(name) || padded.subarray(name.length).some((b) => b !== 0)) return undefined;
    return name;
  }
}
