// The framed byte string that compressed pieces and manifests are stored
// as: frames back to back, each a 9-byte header and its stored bytes.
//   byte 0      kind: 0 = stored as is, 1 = one zstd frame
//   bytes 1..4  raw length, u32 big-endian, 1..FRAME_RAW_MAX
//   bytes 5..8  stored length, u32 big-endian (= raw length for kind 0,
//               1..raw length for kind 1: zstd is used only when it shrinks)
// Every frame decodes on its own, into at most FRAME_RAW_MAX bytes, so a
// reader's memory is bounded whatever a (hostile) header claims.
import { LibrsyncError } from '../../errors';

export const FRAME_HEADER_BYTES = 9;
/** The most raw bytes one frame holds (1 MiB). */
export const FRAME_RAW_MAX = 1 << 20;

export const FRAME_STORED = 0;
export const FRAME_ZSTD = 1;
export type FrameKind = typeof FRAME_STORED | typeof FRAME_ZSTD;

export interface FrameHeader {
  kind: FrameKind;
  rawLength: number;
  storedLength: number;
}

/** Damage in framed bytes; callers prefix the message with what they were reading. */
export function frameDamage(why: string): LibrsyncError {
  return new LibrsyncError('BACKUP_CORRUPT', why);
}

/**
 * The header at `offset` of `buf`; BACKUP_CORRUPT when it is cut short or
 * not one this format allows. Messages say "frame at byte `position`"
 * (where the frame starts in what is being read; `offset` by default).
 */
export function parseFrameHeader(buf: Uint8Array, offset: number, position = offset): FrameHeader {
  const at = `frame at byte ${position}`;
  if (offset < 0 || buf.length - offset < FRAME_HEADER_BYTES) throw frameDamage(`${at}: truncated header`);
  const view = new DataView(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_BYTES);
  const kind = view.getUint8(0);
  const rawLength = view.getUint32(1);
  const storedLength = view.getUint32(5);
  if (kind !== FRAME_STORED && kind !== FRAME_ZSTD) throw frameDamage(`${at}: unknown kind ${kind}`);
  if (rawLength < 1 || rawLength > FRAME_RAW_MAX) throw frameDamage(`${at}: raw length ${rawLength} is outside 1..${FRAME_RAW_MAX}`);
  if (kind === FRAME_STORED && storedLength !== rawLength) throw frameDamage(`${at}: stored length ${storedLength} differs from raw length ${rawLength} in a stored frame`);
  if (kind === FRAME_ZSTD && (storedLength < 1 || storedLength > rawLength)) throw frameDamage(`${at}: stored length ${storedLength} is outside 1..${rawLength} in a zstd frame`);
  return { kind, rawLength, storedLength };
}

/** The 9 header bytes of a frame. */
export function frameHeaderBytes(header: FrameHeader): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  out.writeUInt8(header.kind, 0);
  out.writeUInt32BE(header.rawLength, 1);
  out.writeUInt32BE(header.storedLength, 5);
  return out;
}

/**
 * The most stored bytes a framed string of `rawLength` raw bytes can take:
 * every frame holds at least one raw byte and stores at most its raw
 * length, plus its header.
 */
export function framedLengthMax(rawLength: number): number {
  return rawLength * (1 + FRAME_HEADER_BYTES);
}
