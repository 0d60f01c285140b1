// Runs one NativeJob over a whole in-memory slice, as the end of its input,
// and collects everything it writes. The parallel jobs run one per stripe,
// several at once: each is its own thread-pool work item.
import { NativeJob } from './native-job';

function stepOnce(job: NativeJob, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number): Promise<[number, number, boolean]> {
  return new Promise((resolve, reject) => {
    job.step(true, input, inOff, inLen, out, outOff, out.length - outOff, (err, consumed, produced, done) => {
      if (err) reject(err);
      else resolve([consumed, produced, done]);
    });
  });
}

/**
 * Feeds input[start, end) with end-of-input set and returns the output,
 * written into `out` when it fits (a fresh, larger buffer otherwise).
 */
export async function runToEnd(job: NativeJob, input: Uint8Array, start: number, end: number, out: Uint8Array): Promise<Uint8Array> {
  let buffer = out;
  let written = 0;
  let offset = start;
  for (;;) {
    if (written === buffer.length) {
      const grown = new Uint8Array(buffer.length * 2);
      grown.set(buffer);
      buffer = grown;
    }
    const [consumed, produced, done] = await stepOnce(job, input, offset, end - offset, buffer, written);
    offset += consumed;
    written += produced;
    if (done) return buffer.subarray(0, written);
  }
}
