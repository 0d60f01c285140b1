// The writing side of compressed pieces: a Writable that takes a piece's
// raw bytes (file data, a delta, a signature), hashes them unless the
// caller knows their digest already, and writes them as frames
// (compression/) into the piece's pack segment or memory segment. The
// piece's ref then holds the SHA-256 and length of the RAW bytes (sha256,
// rawLength) and the stored length (length), which is what a range read
// fetches.
import { createHash, Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionMode, compressionModeOf } from './compression';
import { FrameEncoder } from './compression/frame-encoder';
import { encodeFrameParts } from './compression/encode-frame';
import { FRAME_RAW_MAX } from './compression/frame-format';
import { MemorySegment, PackSegment, PackWriter, Piece, placedPiece } from './pack-writer';
import { drained } from './stream-waits';

export class FramedPieceWriter extends Writable {
  private readonly encoder: FrameEncoder;
  private readonly framed: Promise<void>;
  private readonly hash: Hash | undefined;
  private rawLength = 0;

  constructor(
    mode: CompressionMode,
    /** Where the frames go. */
    readonly sink: PackSegment | MemorySegment,
    /** false when the caller gives the raw bytes' SHA-256 to piece() (a whole file's, hashed as it was read). */
    hashed: boolean,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.hash = hashed ? createHash('sha256') : undefined;
    this.encoder = new FrameEncoder({ mode });
    this.framed = pipeline(this.encoder, sink);
    // A failure downstream (the pack) fails what writes into this.
    this.framed.catch((err: Error) => this.destroy(err));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.rawLength += chunk.length;
    this.hash?.update(chunk);
    if (this.encoder.write(chunk)) callback();
    else drained(this.encoder).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.encoder.end();
    this.framed.then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.encoder.destroyed) this.encoder.destroy(error ?? undefined);
    callback(error);
  }

  /** The stored piece (once this has finished): its ref says where its frames are and what their raw bytes are. */
  piece(pack: PackWriter, sha256?: string): Piece {
    const digest = sha256 ?? this.hash?.digest('hex');
    if (digest === undefined) throw new Error('piece digest unknown');
    const rawLength = this.rawLength;
    const stored = this.sink instanceof MemorySegment ? this.sink.piece(pack, digest) : placedPiece(this.sink, digest);
    return { place: async () => ({ ...(await stored.place()), rawLength }) };
  }
}

/**
 * A piece whose raw bytes are all in memory (a small file's data, delta or
 * signature): framed in one go, with no stream per piece. The same bytes
 * and ref as a FramedPieceWriter into a MemorySegment would give.
 */
export async function wholePiece(mode: CompressionMode | undefined, raw: Buffer, pack: PackWriter, sha256?: string): Promise<Piece> {
  const segment = new MemorySegment();
  const chosen = compressionModeOf(mode);
  if (chosen === 'off') {
    segment.append(raw);
    return segment.piece(pack, sha256);
  }
  for (let at = 0; at < raw.length; at += FRAME_RAW_MAX) {
    for (const part of await encodeFrameParts(raw.subarray(at, at + FRAME_RAW_MAX), chosen)) segment.append(part);
  }
  const stored = segment.piece(pack, sha256 ?? createHash('sha256').update(raw).digest('hex'));
  return { place: async () => ({ ...(await stored.place()), rawLength: raw.length }) };
}

/**
 * What a piece's producer writes into: `sink` itself when compression is
 * off (stored as before, no rawLength), else a FramedPieceWriter into it.
 * `hashed`: whether the piece's digest must be computed on the way.
 */
export function pieceInput(mode: CompressionMode | undefined, sink: PackSegment | MemorySegment, hashed: boolean): Writable {
  const chosen = compressionModeOf(mode);
  return chosen === 'off' ? sink : new FramedPieceWriter(chosen, sink, hashed);
}

/** Whether a pack segment must hash what it stores: not when the piece is framed (its hash is of the raw bytes, taken before). */
export function segmentHashes(mode: CompressionMode | undefined, hashed: boolean): boolean {
  return hashed && compressionModeOf(mode) === 'off';
}
