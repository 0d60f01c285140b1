// A signature does not depend on the hash worker staying alive: if the
// worker dies with a batch in flight, that batch is hashed on this thread
// and the job's bytes are unchanged; the next job starts a new worker.
import { signatureBuffer } from '../lib';
import { signatureWorkers } from '../lib/js/signature-workers';
import { randomBytesSeeded } from './support/files';

/** The module's worker, seen from inside (it is not part of any API). */
interface WorkerInternals {
  worker: { terminate(): Promise<number> };
  pending: Map<number, unknown>;
}

/** Terminates the shared worker as soon as it has a batch in hand. */
function terminateWhenBusy(): Promise<void> {
  const shared = signatureWorkers(1)[0] as unknown as WorkerInternals;
  return new Promise((resolve) => {
    const poll = (): void => {
      if (shared.pending.size === 0) {
        setImmediate(poll);
        return;
      }
      void shared.worker.terminate().then(() => resolve());
    };
    poll();
  });
}

describe('the strong sum worker dying', () => {
  const data = randomBytesSeeded(12 << 20, 21);

  it('mid-signature: the running job still gives the same bytes, and the next job works', async () => {
    const expected = await signatureBuffer(data, { backend: 'js' });
    const killed = terminateWhenBusy();
    const during = await signatureBuffer(data, { backend: 'js' });
    await killed;
    expect(during.equals(expected)).toBe(true);
    expect((await signatureBuffer(data, { backend: 'js' })).equals(expected)).toBe(true);
  });
});
