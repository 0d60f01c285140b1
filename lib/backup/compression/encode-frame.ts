// One frame from up to FRAME_RAW_MAX raw bytes, compressed in a zstd
// worker unless the mode is 'off' or the bytes do not shrink.
import { paramError } from '../../errors';
import { COMPRESS_MIN_BYTES, CompressionMode, SAMPLE_BYTES, SAMPLE_LEVEL, SAMPLE_RATIO_MAX, ZSTD_LEVEL } from './compression-mode';
import { FRAME_RAW_MAX, FRAME_STORED, FRAME_ZSTD, frameHeaderBytes } from './frame-format';
import { ZstdPool, zstdPool } from './zstd-pool';

/** The header and the stored bytes of one frame (kept apart: a stored frame's bytes are `raw` itself, not a copy). */
export async function encodeFrameParts(raw: Buffer, mode: CompressionMode, pool: ZstdPool = zstdPool()): Promise<[Buffer, Buffer]> {
  if (raw.length < 1 || raw.length > FRAME_RAW_MAX) throw paramError(`a frame holds 1..${FRAME_RAW_MAX} bytes, not ${raw.length}`);
  if (mode !== 'off' && raw.length >= COMPRESS_MIN_BYTES) {
    const trial = mode === 'auto' ? { level: SAMPLE_LEVEL, bytes: SAMPLE_BYTES, ratioMax: SAMPLE_RATIO_MAX } : undefined;
    const packed = await pool.compress(raw, ZSTD_LEVEL[mode], trial);
    if (packed.kind === FRAME_ZSTD) return [frameHeaderBytes({ kind: FRAME_ZSTD, rawLength: raw.length, storedLength: packed.payload.length }), packed.payload];
  }
  return [frameHeaderBytes({ kind: FRAME_STORED, rawLength: raw.length, storedLength: raw.length }), raw];
}

/** One frame holding `raw` (1..FRAME_RAW_MAX bytes): zstd where that helps, else stored as is. */
export async function encodeFrame(raw: Buffer, mode: CompressionMode, pool?: ZstdPool): Promise<Buffer> {
  return Buffer.concat(await encodeFrameParts(raw, mode, pool));
}
