// Signature and delta magic numbers, and the algorithms they stand for.

export type StrongHash = 'blake2' | 'md4';
export type RollingHash = 'rabinkarp' | 'rollsum';

export const DELTA_MAGIC = 0x72730236;

export const SIGNATURE_MAGIC = {
  rollsumMd4: 0x72730136,
  rollsumBlake2: 0x72730137,
  rabinkarpMd4: 0x72730146,
  rabinkarpBlake2: 0x72730147,
} as const;

export function isSignatureMagic(magic: number): boolean {
  return Object.values(SIGNATURE_MAGIC).includes(magic as never);
}

export function magicFor(hash: StrongHash, rollsum: RollingHash): number {
  return (0x72730100 | (rollsum === 'rollsum' ? 0x30 : 0x40) | (hash === 'md4' ? 6 : 7)) >>> 0;
}

export function hashOf(magic: number): StrongHash {
  return (magic & 0x0f) === 6 ? 'md4' : 'blake2';
}

export function rollsumOf(magic: number): RollingHash {
  return (magic & 0xf0) === 0x30 ? 'rollsum' : 'rabinkarp';
}

/** Longest strong sum the magic's hash provides: 16 for MD4, 32 for BLAKE2. */
export function maxStrongLength(magic: number): number {
  return hashOf(magic) === 'md4' ? 16 : 32;
}
