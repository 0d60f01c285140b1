// Compression of what a store holds: framed byte strings (frame-format.ts)
// whose frames are zstd-compressed in worker threads where that helps.
export { COMPRESSION_MODES, DEFAULT_COMPRESSION, compressionModeOf, isCompressionMode } from './compression-mode';
export type { CompressionMode } from './compression-mode';
export { FRAME_HEADER_BYTES, FRAME_RAW_MAX, FRAME_STORED, FRAME_ZSTD, framedLengthMax, parseFrameHeader } from './frame-format';
export type { FrameHeader, FrameKind } from './frame-format';
export { encodeFrame } from './encode-frame';
export { decodeFrame } from './decode-frame';
export { FrameEncoder } from './frame-encoder';
export type { FrameEncoderOptions } from './frame-encoder';
export { FrameDecoder } from './frame-decoder';
export type { FrameDecoderOptions } from './frame-decoder';
export { ZstdPool, zstdPool } from './zstd-pool';
export type { ZstdBackend } from './zstd-pool';
