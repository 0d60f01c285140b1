// RFC 4648 base32, lower case and without padding: what encrypted backup
// names are written in (letters and digits only: safe as a file name on any
// file system, case-insensitive ones included, and as an S3 or Swift key).
// Twenty lines of our own rather than a dependency for them.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32Encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** The bytes of `text`, or undefined when it is not base32 as base32Encode writes it (other letters, non-zero padding bits). */
export function base32Decode(text: string): Buffer | undefined {
  const out = Buffer.alloc(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return undefined;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // Only the unused low bits of the last digit may remain, all zero (one encoding per byte string).
  if (bits >= 5 || (value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
