// The keys every encrypted object and name is sealed with, derived from the
// store's master key with HKDF-SHA256, one `info` per use: a key never
// serves two purposes, and the master key itself seals nothing but is
// wrapped in the key objects.
import { hkdfSync } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;

export interface Subkeys {
  /** Input of each object's own key (object-cipher.ts). */
  objects: Buffer;
  /** AES-256-GCM key of backup names (name-cipher.ts). */
  nameCipher: Buffer;
  /** HMAC-SHA256 key of the names' synthetic IVs. */
  nameMac: Buffer;
}

function derive(master: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
}

export function deriveSubkeys(master: Buffer): Subkeys {
  return {
    objects: derive(master, 'librsync-backup objects v1'),
    nameCipher: derive(master, 'librsync-backup name cipher v1'),
    nameMac: derive(master, 'librsync-backup name mac v1'),
  };
}
