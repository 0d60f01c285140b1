// One read feeding several consumers: each chunk goes to every target and
// the next is taken only when all of them have room (the slowest sets the
// pace, memory stays bounded). Ending it ends every target and finishes
// only once each has flushed what it was given: whoever awaits the fan-out
// may then use (or destroy) the targets without losing their last bytes.
// A target that fails fails the fan-out, so the error reaches its pipeline
// even for a target no pipeline of its own listens to.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { drained } from './stream-waits';

export class FanOut extends Writable {
  constructor(private readonly targets: readonly Writable[]) {
    super({ highWaterMark: 1 << 20 });
    for (const target of targets) target.on('error', (err) => this.destroy(err));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const waits: Promise<unknown>[] = [];
    for (const target of this.targets) {
      if (!target.write(chunk)) waits.push(drained(target));
    }
    if (waits.length === 0) callback();
    else Promise.all(waits).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    for (const target of this.targets) target.end();
    Promise.all(this.targets.map((t) => finished(t, { readable: false }))).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Finishing normally leaves the targets to complete on their own.
    if (error) for (const target of this.targets) if (!target.destroyed) target.destroy(error);
    callback(error);
  }
}
