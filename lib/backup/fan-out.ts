// One read feeding several consumers: each chunk goes to every target and
// the next is taken only when all of them have room (the slowest sets the
// pace, memory stays bounded). Ending it ends every target.
import { once } from 'node:events';
import { Writable } from 'node:stream';

export class FanOut extends Writable {
  constructor(private readonly targets: readonly Writable[]) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const waits: Promise<unknown>[] = [];
    for (const target of this.targets) {
      if (!target.write(chunk)) waits.push(once(target, 'drain'));
    }
    if (waits.length === 0) callback();
    // A target that fails is destroyed by its own pipeline; `once` then rejects with its error.
    else Promise.all(waits).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    for (const target of this.targets) target.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Finishing normally leaves the targets to complete on their own.
    if (error) for (const target of this.targets) if (!target.destroyed) target.destroy(error);
    callback(error);
  }
}
