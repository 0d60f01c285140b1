// What the parallel signature and delta have in common: librsync jobs run
// to the end of one stripe each, several at once; output gathered in a
// tube and handed out as the stream has room; counters; and closing, which
// closes every stripe job still running.
import { Job, JobKind, JobStats, StepCallback, emptyStats } from './job';
import { OutputTube } from './js/output-tube';
import { NativeJob } from './native-job';
import { runToEnd } from './run-native-job';

export abstract class StripedJob implements Job {
  abstract readonly kind: JobKind;
  abstract readonly preferredInput: number;
  abstract step: Job['step'];
  protected readonly tube = new OutputTube();
  protected readonly counters: JobStats;
  private readonly running = new Set<NativeJob>();
  /** All input is in and its output is in the tube. */
  protected ended = false;
  protected closed = false;

  constructor(kind: JobKind) {
    this.counters = emptyStats(kind);
  }

  /** Runs `job` over data[start, end) as its whole input; its output lands in `out` when it fits. */
  protected async runStripe(job: NativeJob, data: Uint8Array, start: number, end: number, out: Uint8Array): Promise<Uint8Array> {
    this.running.add(job);
    try {
      return await runToEnd(job, data, start, end, out);
    } finally {
      this.running.delete(job);
      job.close();
    }
  }

  /** Ends a step: hands out what the tube holds for the caller's buffer. */
  protected finish(consumed: number, callback: StepCallback): void {
    const produced = this.tube.detach();
    this.counters.outBytes += produced;
    const done = this.ended && this.tube.pending === 0;
    if (done) this.release();
    process.nextTick(callback, null, consumed, produced, done);
  }

  /** Frees what the job holds beyond its stripes (once done or closed). */
  protected release(): void {}

  stats(): JobStats {
    return { ...this.counters };
  }

  close(): void {
    this.closed = true;
    for (const job of this.running) job.close();
    this.running.clear();
    this.release();
  }
}
