// The one stream adapter: a Transform that drives any Job. Modelled on
// Node's zlib: one step in flight, big input slices per step, output
// written into a preallocated buffer and pushed as slices, and a step that
// filled the readable side waits for _read() before going on.
import { Transform, TransformCallback, TransformOptions, addAbortSignal } from 'node:stream';
import { LibrsyncError } from './errors';
import { Job, JobStats } from './job';

export interface JobStreamOptions {
  /**
   * Input bytes handed to one step (one thread-pool hop). Smaller writes
   * (Node's 16/64 KiB stream chunks, a socket's few KiB) are gathered up to
   * this, so the default chunking runs at full speed. Default 1 MiB.
   */
  inputChunkSize?: number;
  /** Size of the buffers output is written into. Default 256 KiB. */
  outputChunkSize?: number;
  /** Aborting destroys the stream with an AbortError and frees the job. */
  signal?: AbortSignal;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

const DEFAULT_INPUT_CHUNK = 1 << 20;
const DEFAULT_OUTPUT_CHUNK = 256 << 10;
const EMPTY = Buffer.alloc(0);

function chunkSize(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > 1 << 30) {
    throw new LibrsyncError('RS_PARAM_ERROR', `${name} must be an integer from 1 to 2^30`);
  }
  return value;
}

export class JobStream extends Transform {
  private job: Job | undefined;
  private readonly pendingJob: Promise<Job> | undefined;
  private readonly producesOutput: boolean;
  private readonly inputChunk: number;
  private readonly outputChunk: number;
  /** Small writes are gathered until one step's worth (or the end). */
  private readonly gatherBelow: number;
  private gathered: Buffer[] = [];
  private gatherBuffer: Buffer | null = null;
  private gatheredBytes = 0;
  private out: Buffer | null = null;
  private outOffset = 0;
  private resumeOnRead: (() => void) | null = null;
  private finished = false;
  private finalStats: JobStats | undefined;

  /**
   * `job` may be a promise (a patch opening its basis file). A job given
   * directly already holds what it needs (a signature set stays alive even
   * if the caller closes it right after creating the stream).
   *
   * No _construct(): Node's pipeline() never settles for a stream that was
   * destroyed while its _construct() was pending (finished() takes it for
   * cleanly ended on one side), so `s.destroy()` right after a factory
   * returned, then `pipeline(..., s, ...)`, would hang. A pending job is
   * waited for by the first step instead, and a job that cannot be made
   * destroys the stream with its error.
   */
  constructor(job: Job | Promise<Job>, producesOutput: boolean, options: JobStreamOptions = {}) {
    const inputChunk = chunkSize(options.inputChunkSize, DEFAULT_INPUT_CHUNK, 'inputChunkSize');
    const outputChunk = chunkSize(options.outputChunkSize, DEFAULT_OUTPUT_CHUNK, 'outputChunkSize');
    // A parallel job wants several stripes per step; room for one more
    // step's worth of writes lets the source read ahead while it runs.
    const preferred = job instanceof Promise ? 0 : (job.preferredInput ?? 0);
    const stepInput = Math.max(inputChunk, preferred);
    const streamOptions: TransformOptions = {
      readableHighWaterMark: options.readableHighWaterMark ?? outputChunk,
      writableHighWaterMark: options.writableHighWaterMark ?? Math.max(Math.min(inputChunk, 1 << 20), preferred),
    };
    super(streamOptions);
    if (job instanceof Promise) {
      this.pendingJob = job.then(
        (ready) => {
          if (this.destroyed) ready.close();
          else this.job = ready;
          return ready;
        },
        (err: Error) => {
          this.destroy(err); // nothing is emitted if it was destroyed already
          throw err;
        },
      );
      this.pendingJob.catch(() => undefined);
    } else {
      this.job = job;
    }
    this.producesOutput = producesOutput;
    this.inputChunk = stepInput;
    this.outputChunk = outputChunk;
    this.gatherBelow = stepInput;
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** Statistics of the job so far; final once the stream has finished. */
  get stats(): JobStats | undefined {
    return this.finalStats ?? this.job?.stats();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.finished) {
      callback(); // bytes after the end of a delta are ignored, as rdiff does
      return;
    }
    if (this.gatheredBytes + chunk.length < this.gatherBelow) {
      this.gathered.push(chunk);
      this.gatheredBytes += chunk.length;
      callback();
      return;
    }
    this.run(this.takeGathered(chunk), 0, false, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.finished) {
      callback();
      return;
    }
    this.run(this.takeGathered(EMPTY), 0, true, callback);
  }

  override _read(size: number): void {
    const resume = this.resumeOnRead;
    if (resume) {
      this.resumeOnRead = null;
      resume();
    }
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.resumeOnRead = null;
    if (this.job && !this.finished) this.job.close(); // deferred natively if a step is in flight
    callback(error);
  }

  /**
   * Gathered writes in one buffer, reused from step to step (a fresh one
   * per step would leave the collector far behind on a fast stream). The
   * bytes a step left unconsumed are views into it; they move to its front.
   */
  private takeGathered(chunk: Buffer): Buffer {
    if (this.gathered.length === 0) return chunk;
    this.gathered.push(chunk);
    const total = this.gatheredBytes + chunk.length;
    let target = this.gatherBuffer;
    if (target === null || target.length < total) {
      // Sized for the steps to come, unless this is the end (a small file's
      // few chunks need no 8 MiB buffer). Never a view into the shared pool.
      target = Buffer.allocUnsafeSlow(chunk === EMPTY ? total : Math.max(total, this.gatherBelow));
      this.gatherBuffer = target;
    }
    let at = 0;
    for (const piece of this.gathered) {
      if (piece.buffer === target.buffer) target.copyWithin(at, piece.byteOffset - target.byteOffset, piece.byteOffset - target.byteOffset + piece.length);
      else target.set(piece, at);
      at += piece.length;
    }
    this.gathered = [];
    this.gatheredBytes = 0;
    return target.subarray(0, total);
  }

  private run(input: Buffer, offset: number, eof: boolean, callback: TransformCallback): void {
    const job = this.job;
    if (!job) {
      // Still being made; if that fails, the stream is destroyed with the error.
      this.pendingJob!.then(
        () => {
          if (!this.destroyed) this.run(input, offset, eof, callback);
        },
        () => undefined,
      );
      return;
    }
    const inLen = Math.min(input.length - offset, this.inputChunk);
    const last = eof && offset + inLen === input.length;
    let out: Buffer | null = null;
    let outOffset = 0;
    if (this.producesOutput) {
      // A fresh buffer once the current one is mostly used: pushed slices
      // still reference the old one.
      if (this.out === null || this.out.length - this.outOffset < this.outputChunk / 8) {
        this.out = Buffer.allocUnsafe(this.outputChunk);
        this.outOffset = 0;
      }
      out = this.out;
      outOffset = this.outOffset;
    }
    const outLen = out ? out.length - outOffset : 0;

    job.step(last, input, offset, inLen, out, outOffset, outLen, (err, consumed, produced, done) => {
      if (this.destroyed) return; // the job was closed by _destroy
      if (err) {
        callback(err);
        return;
      }
      let mayContinue = true;
      if (produced > 0 && out) {
        mayContinue = this.push(out.subarray(outOffset, outOffset + produced));
        this.outOffset = outOffset + produced;
        // push() may run 'data' handlers that destroy this stream.
        if (this.destroyed) return;
      }
      offset += consumed;
      if (done) {
        this.finished = true;
        this.finalStats = job.stats();
        job.close();
        callback();
        return;
      }
      // Ask for more input only once the job has room to spare in its
      // output: a job that filled the buffer may hold more output, and
      // librsync 2.3.2's delta would swallow every byte offered meanwhile
      // (unbounded memory on unmatched data). And not while the readable
      // side is full: once end() has been called, Node's Transform passes
      // the next write in at once, whoever reads.
      if (offset === input.length && !eof && produced < outLen) {
        if (mayContinue) callback();
        else this.resumeOnRead = () => callback();
        return;
      }
      if (consumed === 0 && produced === 0) {
        if (!eof) {
          // The job needs more bytes than this slice holds; keep them.
          this.gathered.push(input.subarray(offset));
          this.gatheredBytes += input.length - offset;
          callback();
        } else {
          callback(new LibrsyncError('RS_INTERNAL_ERROR', `${job.kind} made no progress at end of input`));
        }
        return;
      }
      const next = (): void => this.run(input, offset, eof, callback);
      if (mayContinue) next();
      else this.resumeOnRead = next;
    });
  }
}
