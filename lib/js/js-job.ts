// What the TypeScript jobs share: the Job contract (one step in flight,
// asynchronous callback, typed errors), output through an OutputTube,
// and statistics. Each job does a bounded amount of work per step, so the
// event loop gets a turn between steps (setImmediate) and never stalls.
import { LibrsyncError, LibrsyncErrorCode, paramError } from '../errors';
import { Job, JobKind, JobStats, StepCallback, emptyStats } from '../job';
import { OutputTube } from './output-tube';

/** Most input bytes one step works through: about a millisecond or two of hashing. */
export const STEP_INPUT_BUDGET = 1 << 20;

const EMPTY = new Uint8Array(0);

function checkSlice(buffer: Uint8Array | null, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw paramError(`${what} offset and length must be non-negative integers`);
  }
  if (buffer === null ? length !== 0 : offset + length > buffer.length) {
    throw paramError(`${what} range is outside the buffer`);
  }
}

export abstract class JsJob implements Job {
  abstract readonly kind: JobKind;
  protected readonly tube = new OutputTube();
  /** Command and block counters; operation and byte counts are filled in by stats(). */
  protected readonly counters: JobStats = emptyStats('signature');
  /** Set by run() once the job has produced everything (maybe still in the tube). */
  protected finished = false;
  private inBytes = 0;
  private outBytes = 0;
  private busy = false;
  private closed = false;
  private ended = false;

  /**
   * Works through input[inOff, inOff+inLen) writing to this.tube; returns
   * the bytes consumed. Called only when the tube has nothing pending.
   */
  protected abstract run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number | Promise<number>;

  /** Releases what the job holds (files, hashers). */
  protected release(): void {}

  protected error(code: LibrsyncErrorCode, message: string, cause?: unknown): LibrsyncError {
    return new LibrsyncError(code, `${this.kind} failed: ${message}`, { operation: this.kind, cause });
  }

  step: Job['step'] = (eof, input, inOff, inLen, output, outOff, outLen, callback: StepCallback) => {
    if (this.closed) throw paramError('job is closed');
    if (this.busy) throw paramError('a step is already in flight for this job');
    if (this.ended) throw paramError('job has already finished');
    checkSlice(input, inOff, inLen, 'input');
    checkSlice(output, outOff, outLen, 'output');
    if (this.kind !== 'loadsig' && outLen === 0) throw paramError('output space must not be empty');
    if (typeof callback !== 'function') throw paramError('callback must be a function');
    this.busy = true;
    this.tube.attach(output, outOff, outLen);

    const settle = (err: unknown, consumed: number): void => {
      const produced = this.tube.detach();
      this.inBytes += consumed;
      this.outBytes += produced;
      const failure = err === null ? null : this.asLibrsyncError(err);
      const done = failure === null && this.finished && this.tube.pending === 0;
      if (done || failure) this.releaseOnce();
      setImmediate(() => {
        this.busy = false;
        if (this.closed) this.releaseOnce(); // close() came during the step
        callback(failure, consumed, produced, done);
      });
    };

    if (this.tube.pending > 0 || this.finished) {
      settle(null, 0); // drain what is already there first
      return;
    }
    let result: number | Promise<number>;
    try {
      result = this.run(eof, input ?? EMPTY, inOff, inLen);
    } catch (err) {
      settle(err, 0);
      return;
    }
    if (typeof result === 'number') settle(null, result);
    else result.then((consumed) => settle(null, consumed), (err: unknown) => settle(err, 0));
  };

  stats(): JobStats {
    return { ...this.counters, operation: this.kind, inBytes: this.inBytes, outBytes: this.outBytes };
  }

  /** Releases now, or when the step in flight returns (see step()). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.releaseOnce();
  }

  private releaseOnce(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
  }

  private asLibrsyncError(err: unknown): LibrsyncError {
    if (err instanceof LibrsyncError) return err;
    const system = err as { code?: unknown; message?: unknown };
    if (system && typeof system.code === 'string' && /^E[A-Z0-9]+$/.test(system.code)) {
      return this.error('RS_IO_ERROR', String(system.message), err);
    }
    return this.error('RS_INTERNAL_ERROR', err instanceof Error ? err.message : String(err), err);
  }
}
