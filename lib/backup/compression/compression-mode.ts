// How hard pieces are compressed. 'auto' tries a small sample of each
// frame at zstd's fastest level first and stores frames that do not shrink
// (already compressed or random data) as they are, so they cost nearly
// nothing; 'max' compresses every frame at a high level; 'off' stores
// everything as is.
import { paramError } from '../../errors';

export type CompressionMode = 'off' | 'auto' | 'max';

export const COMPRESSION_MODES: readonly CompressionMode[] = ['off', 'auto', 'max'];
export const DEFAULT_COMPRESSION: CompressionMode = 'auto';

/** zstd levels: 3 is zstd's default (about 160 MiB/s per core on text, 0.16 of its size); 12 about 27 MiB/s, 0.14. */
export const ZSTD_LEVEL: Record<Exclude<CompressionMode, 'off'>, number> = { auto: 3, max: 12 };
/**
 * Frames shorter than this are stored as they are without asking a worker:
 * zstd saves next to nothing on them, and a small file's signature (48
 * bytes) would otherwise cost a round trip to a worker thread.
 */
export const COMPRESS_MIN_BYTES = 64;
/** The fast level of auto's trial on a sample. */
export const SAMPLE_LEVEL = 1;
/** Bytes of a frame tried in auto: four slices spread over it (the whole frame when it is shorter). */
export const SAMPLE_BYTES = 16 << 10;
/** auto compresses a frame only when its sample shrinks to this fraction or less. */
export const SAMPLE_RATIO_MAX = 0.95;

export function isCompressionMode(value: unknown): value is CompressionMode {
  return typeof value === 'string' && (COMPRESSION_MODES as readonly string[]).includes(value);
}

/** `value` as a mode; RS_PARAM_ERROR naming the choices otherwise. */
export function compressionModeOf(value: unknown): CompressionMode {
  if (value === undefined) return DEFAULT_COMPRESSION;
  if (isCompressionMode(value)) return value;
  throw paramError(`compression must be one of ${COMPRESSION_MODES.join(', ')}, not ${JSON.stringify(value)}`);
}
