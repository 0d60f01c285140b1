// The raw bytes of one complete frame.
import { FRAME_HEADER_BYTES, FRAME_STORED, frameDamage, parseFrameHeader } from './frame-format';
import { ZstdPool, zstdPool } from './zstd-pool';

/** The raw bytes of a frame's payload (its header already parsed); BACKUP_CORRUPT when they are not exactly rawLength bytes. */
export function decodePayload(kind: number, payload: Buffer, rawLength: number, pool: ZstdPool = zstdPool()): Promise<Buffer> {
  return kind === FRAME_STORED ? Promise.resolve(payload) : pool.decompress(payload, rawLength);
}

/** The raw bytes of `frame`, which must be exactly one frame; BACKUP_CORRUPT on any damage. */
export async function decodeFrame(frame: Buffer, pool?: ZstdPool): Promise<Buffer> {
  const header = parseFrameHeader(frame, 0);
  const end = FRAME_HEADER_BYTES + header.storedLength;
  if (frame.length < end) throw frameDamage(`frame at byte 0: ${header.storedLength} stored bytes announced, ${frame.length - FRAME_HEADER_BYTES} present`);
  if (frame.length > end) throw frameDamage(`${frame.length - end} bytes after the frame`);
  return decodePayload(header.kind, frame.subarray(FRAME_HEADER_BYTES), header.rawLength, pool);
}
