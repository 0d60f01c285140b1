// The writing side of compressed pieces: a Writable that takes a piece's
// raw bytes (file data, a delta, a signature), hashes them, and writes
// them as frames (compression/) into the piece's pack segment or memory
// segment. The piece's ref then holds the SHA-256 and length of the RAW
// bytes (sha256, rawLength) and the stored length (length), which is what
// a range read fetches.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionMode, compressionModeOf } from './compression';
import { FrameEncoder } from './compression/frame-encoder';
import { DigestStream } from './digest-stream';
import { MemorySegment, PackSegment, PackWriter, Piece, placedPiece } from './pack-writer';
import { drained } from './stream-waits';

export class FramedPieceWriter extends Writable {
  private readonly digest = new DigestStream();
  private readonly framed: Promise<void>;

  constructor(
    mode: CompressionMode,
    /** Where the frames go. */
    readonly sink: PackSegment | MemorySegment,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.framed = pipeline(this.digest, new FrameEncoder({ mode }), sink);
    // A failure downstream (the pack) fails what writes into this.
    this.framed.catch((err: Error) => this.destroy(err));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.digest.write(chunk)) callback();
    else drained(this.digest).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.digest.end();
    this.framed.then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.digest.destroyed) this.digest.destroy(error ?? undefined);
    callback(error);
  }

  /** The stored piece (once this has finished): its ref says where its frames are and what their raw bytes are. */
  piece(pack: PackWriter): Piece {
    const sha256 = this.digest.sha256;
    const rawLength = this.digest.bytes;
    const stored = this.sink instanceof MemorySegment ? this.sink.piece(pack, sha256) : placedPiece(this.sink, sha256);
    return { place: async () => ({ ...(await stored.place()), rawLength }) };
  }
}

/**
 * What a piece's producer writes into: `sink` itself when compression is
 * off (stored as today, no rawLength), else a FramedPieceWriter into it.
 */
export function pieceInput(mode: CompressionMode | undefined, sink: PackSegment | MemorySegment): Writable {
  const chosen = compressionModeOf(mode);
  return chosen === 'off' ? sink : new FramedPieceWriter(chosen, sink);
}

/** Whether a pack segment must hash what it stores: not when the piece is framed (its hash is of the raw bytes, taken before). */
export function segmentHashes(mode: CompressionMode | undefined, wanted: boolean): boolean {
  return wanted && compressionModeOf(mode) === 'off';
}
