// What FrameEncoder and FrameDecoder share: a Transform whose chunks are
// worked on asynchronously (a few at once, in the zstd pool), with the
// results pushed in the order the work was started.
import { Transform, TransformCallback } from 'node:stream';
import { FRAME_RAW_MAX } from './frame-format';
import { OrderedResults } from './ordered-results';

export abstract class OrderedFrameTransform extends Transform {
  private readonly results = new OrderedResults<Buffer[]>();

  constructor(private readonly inFlight: number) {
    super({ highWaterMark: FRAME_RAW_MAX });
  }

  /** Takes in a chunk; may start() work. */
  protected abstract takeIn(chunk: Buffer): Promise<void>;
  /** Called once the input has ended; may start() the last work, or throw. */
  protected abstract inputEnded(): Promise<void>;

  /** Starts `work`, once fewer than inFlight are under way; its buffers are pushed in turn. */
  protected async start(work: () => Promise<Buffer[]>): Promise<void> {
    while (this.results.length >= this.inFlight) this.pushAll(await this.results.takeOldest());
    this.results.add(work());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    void this.settle(() => this.takeIn(chunk), callback);
  }

  override _flush(callback: TransformCallback): void {
    void this.settle(async () => {
      await this.inputEnded();
      while (this.results.length) this.pushAll(await this.results.takeOldest());
    }, callback);
  }

  private pushAll(buffers: Buffer[]): void {
    for (const b of buffers) this.push(b);
  }

  private async settle(work: () => Promise<void>, callback: TransformCallback): Promise<void> {
    try {
      await work();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}
