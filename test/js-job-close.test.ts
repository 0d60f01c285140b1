// close() while a js step waits on I/O (a basis read, the hash worker):
// the job is released once that step returns, and in the meantime nothing
// spins (a hung read must not cost a core for as long as it hangs).
import { BasisSource } from '../lib/js/basis-source';
import { JsPatchJob } from '../lib/js/js-patch-job';

/** A basis whose single read completes only when the test says so. */
function heldBasis(): { basis: BasisSource; complete: () => void; closed: () => number } {
  let finish: (() => void) | undefined;
  let closes = 0;
  const basis: BasisSource = {
    size: 100,
    read: (target, offset, length) =>
      new Promise<number>((resolve) => {
        finish = () => {
          target.fill(7, offset, offset + length);
          resolve(length);
        };
      }),
    close: () => {
      closes++;
    },
  };
  return { basis, complete: () => finish!(), closed: () => closes };
}

describe('closing a js job with a step in flight', () => {
  it('waits for the step without spinning, then releases the job once', async () => {
    const { basis, complete, closed } = heldBasis();
    const job = new JsPatchJob(basis);
    const delta = Buffer.from([0x72, 0x73, 0x02, 0x36, 0x45, 0, 10, 0]); // COPY(0, 10), END
    let called = 0;
    job.step(true, delta, 0, delta.length, Buffer.alloc(64), 0, 64, () => {
      called++;
    });
    job.close();
    // Nothing may be scheduled while the read hangs: a poll would reschedule itself on every turn.
    const realSetImmediate = global.setImmediate;
    let scheduled = 0;
    global.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      scheduled++;
      return realSetImmediate(...args);
    }) as typeof setImmediate;
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      global.setImmediate = realSetImmediate;
    }
    const closesWhileReading = closed();
    complete(); // before asserting: a failing check must not leave the read (and any poll) hanging
    expect(scheduled).toBe(0);
    expect(closesWhileReading).toBe(0); // the read still had the job's buffers
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(called).toBe(1);
    expect(closed()).toBe(1);
  });
});
