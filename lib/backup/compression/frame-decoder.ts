// A Transform: frames in, raw bytes out. Each frame is checked as it comes
// (header, lengths, zstd payload decoding to exactly its raw length);
// anything else, a cut frame or stray bytes at the end included, fails the
// stream with BACKUP_CORRUPT. A few zstd frames are decoded at once, output
// in order. Memory: about (inFlight + 1) frames, whatever headers claim.
import { LibrsyncError } from '../../errors';
import { ByteQueue } from '../byte-queue';
import { decodePayload } from './decode-frame';
import { FRAME_HEADER_BYTES, FrameHeader, frameDamage, parseFrameHeader } from './frame-format';
import { OrderedFrameTransform } from './ordered-frame-transform';
import { ZstdPool, zstdPool } from './zstd-pool';

export interface FrameDecoderOptions {
  /** More raw bytes than this is damage (found as soon as a header announces them). */
  maxRawBytes?: number;
  /** Frames decoding at once (default: the pool's workers + 1). */
  inFlight?: number;
  pool?: ZstdPool;
  /** The error for damage (`why` says where and what); BACKUP_CORRUPT with `why` as its message by default. */
  damaged?: (why: string) => Error;
}

export class FrameDecoder extends OrderedFrameTransform {
  /** Framed bytes taken in, and raw bytes announced by the frames read, so far. */
  framedBytes = 0;
  rawBytes = 0;
  private readonly maxRawBytes: number;
  private readonly pool: ZstdPool;
  private readonly damaged: (why: string) => Error;
  private readonly pending = new ByteQueue();
  /** Where the frame being read starts in the framed input. */
  private frameStart = 0;
  private header: FrameHeader | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const pool = options.pool ?? zstdPool();
    super(Math.max(1, options.inFlight ?? pool.size + 1));
    this.pool = pool;
    this.maxRawBytes = options.maxRawBytes ?? Number.MAX_SAFE_INTEGER;
    this.damaged = options.damaged ?? frameDamage;
  }


  protected async inputEnded(): Promise<void> {
    if (this.header) throw this.damaged(`frame at byte ${this.frameStart}: ${this.header.storedLength} stored bytes announced, ${this.pending.length} present`);
    if (this.pending.length > 0) throw this.damaged(`the ${this.pending.length} bytes at byte ${this.frameStart} do not form a frame`);
  }

  /** Damage in the frames as the caller's error; anything else (a worker that died) as it is. */
  private blamed(err: unknown, position?: number): unknown {
    if (!(err instanceof LibrsyncError) || err.code !== 'BACKUP_CORRUPT') return err;
    return this.damaged(position === undefined ? err.message : `frame at byte ${position}: ${err.message}`);
  }

  protected async takeIn(chunk: Buffer): Promise<void> {
    this.framedBytes += chunk.length;
    this.pending.push(chunk);
    for (;;) {
      if (!this.header) {
        if (this.pending.length < FRAME_HEADER_BYTES) return;
        let header: FrameHeader;
        try {
          header = parseFrameHeader(this.pending.take(FRAME_HEADER_BYTES), 0, this.frameStart);
        } catch (err) {
          throw this.blamed(err);
        }
        if (header.rawLength > this.maxRawBytes - this.rawBytes) throw this.damaged(`frame at byte ${this.frameStart}: more than the ${this.maxRawBytes} raw bytes expected`);
        this.rawBytes += header.rawLength;
        this.header = header;
      }
      const { kind, rawLength, storedLength } = this.header;
      if (this.pending.length < storedLength) return;
      const position = this.frameStart;
      const payload = this.pending.take(storedLength);
      this.header = undefined;
      this.frameStart += FRAME_HEADER_BYTES + storedLength;
      await this.start(async () => {
        try {
          return [await decodePayload(kind, payload, rawLength, this.pool)];
        } catch (err) {
          throw this.blamed(err, position);
        }
      });
    }
  }
}
