// Signature parameters chosen exactly as `rdiff signature` chooses them
// (librsync's rs_sig_args), so that both backends and the CLI agree.
import { paramError } from './errors';
import { RollingHash, StrongHash, magicFor, maxStrongLength } from './magic';

/** librsync accepts up to 2^31-1; we refuse blocks a delta job could not buffer cheaply. */
export const MAX_BLOCK_LENGTH = 1 << 24;
/** Block length used when the input size is unknown (a pipe). */
export const DEFAULT_BLOCK_LENGTH = 2048;
/** Minimum strong sum length used when the input size is unknown. */
const DEFAULT_MIN_STRONG_LENGTH = 12;

export interface SignatureOptions {
  /** Strong hash: 'blake2' (default, like rdiff) or 'md4'. */
  hash?: StrongHash;
  /** Rolling checksum: 'rabinkarp' (default) or 'rollsum'. */
  rollsum?: RollingHash;
  /** Bytes per block; 0 or absent picks it from `size` like rdiff. */
  blockLength?: number;
  /** Bytes of strong sum per block: 0 or absent = maximum, -1 = minimum safe for `size`. */
  strongLength?: number;
  /** Input size in bytes when known; picks the default block length. */
  size?: number;
}

export interface SignatureParams {
  magic: number;
  blockLength: number;
  strongLength: number;
}

function floorLog2(v: number): number {
  let n = 0;
  while (v >= 2) {
    v = Math.floor(v / 2);
    n++;
  }
  return n;
}

function integerSqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

/** rdiff's recommended block length for an input of `size` bytes (undefined: unknown). */
export function recommendedBlockLength(size: number | undefined): number {
  if (size === undefined || size < 0) return DEFAULT_BLOCK_LENGTH;
  if (size <= 256 * 256) return 256;
  return Math.min(MAX_BLOCK_LENGTH, integerSqrt(size) - (integerSqrt(size) % 128));
}

/** Shortest strong sum librsync considers safe for the size and block length. */
export function minimumStrongLength(size: number | undefined, blockLength: number, magic: number): number {
  if (size === undefined || size < 0) return Math.min(DEFAULT_MIN_STRONG_LENGTH, maxStrongLength(magic));
  const bits = floorLog2(size + 2 ** 24) + floorLog2(Math.floor(size / blockLength) + 1);
  return Math.min(2 + Math.floor((bits + 7) / 8), maxStrongLength(magic));
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

export function resolveSignatureParams(options: SignatureOptions = {}): SignatureParams {
  const hash = options.hash ?? 'blake2';
  const rollsum = options.rollsum ?? 'rabinkarp';
  if (hash !== 'blake2' && hash !== 'md4') throw paramError(`hash must be 'blake2' or 'md4', not ${String(hash)}`);
  if (rollsum !== 'rabinkarp' && rollsum !== 'rollsum') {
    throw paramError(`rollsum must be 'rabinkarp' or 'rollsum', not ${String(rollsum)}`);
  }
  const size = options.size;
  if (size !== undefined && (!isInteger(size) || size < 0)) throw paramError('size must be a non-negative integer');
  const magic = magicFor(hash, rollsum);

  let blockLength = options.blockLength ?? 0;
  if (!isInteger(blockLength) || blockLength < 0 || blockLength > MAX_BLOCK_LENGTH) {
    throw paramError(`blockLength must be an integer from 1 to ${MAX_BLOCK_LENGTH} (or 0 for the default)`);
  }
  if (blockLength === 0) blockLength = recommendedBlockLength(size);

  const max = maxStrongLength(magic);
  let strongLength = options.strongLength ?? 0;
  if (!isInteger(strongLength) || strongLength < -1 || strongLength > max) {
    throw paramError(`strongLength must be an integer from 1 to ${max} for ${hash}, 0 (maximum) or -1 (minimum)`);
  }
  if (strongLength === 0) strongLength = max;
  else if (strongLength === -1) strongLength = minimumStrongLength(size, blockLength, magic);
  return { magic, blockLength, strongLength };
}
