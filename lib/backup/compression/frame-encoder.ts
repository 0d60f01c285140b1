// A Transform: raw bytes in, frames out. Input is cut into frames of
// frameBytes (FRAME_RAW_MAX by default; the last one shorter), each
// compressed in the zstd pool; a few frames are in work at once so every
// core is used, and frames come out in input order. Memory: about
// (inFlight + 1) frames.
import { paramError } from '../../errors';
import { ByteQueue } from '../byte-queue';
import { CompressionMode } from './compression-mode';
import { encodeFrameParts } from './encode-frame';
import { FRAME_RAW_MAX } from './frame-format';
import { OrderedFrameTransform } from './ordered-frame-transform';
import { ZstdPool, zstdPool } from './zstd-pool';

export interface FrameEncoderOptions {
  mode: CompressionMode;
  /** Raw bytes per frame, 1..FRAME_RAW_MAX. */
  frameBytes?: number;
  /** Frames in work at once (default: the pool's workers + 1). */
  inFlight?: number;
  pool?: ZstdPool;
}

export class FrameEncoder extends OrderedFrameTransform {
  /** Raw bytes taken in, and framed bytes put out, so far. */
  rawBytes = 0;
  framedBytes = 0;
  private readonly mode: CompressionMode;
  private readonly frameBytes: number;
  private readonly pool: ZstdPool;
  private readonly pending = new ByteQueue();

  constructor(options: FrameEncoderOptions) {
    const pool = options.pool ?? zstdPool();
    super(Math.max(1, options.inFlight ?? pool.size + 1));
    this.pool = pool;
    this.mode = options.mode;
    this.frameBytes = options.frameBytes ?? FRAME_RAW_MAX;
    if (!Number.isSafeInteger(this.frameBytes) || this.frameBytes < 1 || this.frameBytes > FRAME_RAW_MAX) throw paramError(`frameBytes must be 1..${FRAME_RAW_MAX}, not ${this.frameBytes}`);
  }

  protected async takeIn(chunk: Buffer): Promise<void> {
    this.rawBytes += chunk.length;
    this.pending.push(chunk);
    while (this.pending.length >= this.frameBytes) await this.encode(this.pending.take(this.frameBytes));
  }

  protected async inputEnded(): Promise<void> {
    if (this.pending.length > 0) await this.encode(this.pending.take(this.pending.length));
  }

  private encode(raw: Buffer): Promise<void> {
    return this.start(async () => {
      const parts = await encodeFrameParts(raw, this.mode, this.pool);
      this.framedBytes += parts[0].length + parts[1].length;
      return parts;
    });
  }
}
