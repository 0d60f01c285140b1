// Signature against signature, for files edited in place (images,
// databases, logs): the new version's signature is computed step by step,
// and every block whose entry equals the previous version's entry at the
// same index becomes a COPY of that block with no rolling search. Only the
// runs of blocks that differ go through delta() against the previous
// signature, which still finds data moved or inserted there. One read
// pass: the stage takes the file's bytes and writes both the new signature
// and a valid librsync delta, each on its own Readable.
import { Readable, Writable } from 'node:stream';
import { emptyStats } from '../job';
import { JobStream } from '../job-stream';
import { writeCopy } from '../js/delta-encoder';
import { OutputTube } from '../js/output-tube';
import { DELTA_MAGIC } from '../magic';
import { delta, signature } from '../operations';
import { SignatureSet } from '../signature-set';
import { drained } from './stream-waits';
import { runWhole } from './whole-output';

/** Bytes per step: the signature of a step runs on every core (4 MiB stripes). */
const STEP_BYTES = 8 << 20;
const HEADER_BYTES = 12;
const DELTA_HEADER = Buffer.from([DELTA_MAGIC >>> 24, (DELTA_MAGIC >>> 16) & 0xff, (DELTA_MAGIC >>> 8) & 0xff, DELTA_MAGIC & 0xff]);
const OP_END = Buffer.from([0]);

export interface AlignedDeltaOptions {
  blockLength: number;
  /** The file's size as stat said (the signature's parameters depend on it). */
  size: number;
  /** The previous version's signature, loaded (for the rolling search of changed runs)... */
  basis: SignatureSet;
  /** ...and as its bytes (for the entry-by-entry comparison). */
  basisBytes: Buffer;
  streamOptions: Record<string, unknown>;
  /** Bytes per step, rounded down to whole blocks (default 8 MiB; tests use small ones). */
  stepBytes?: number;
}

/** A Readable written to from outside, with backpressure: put() waits while it is full. */
class Outlet extends Readable {
  private wake: (() => void) | undefined;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  override _read(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async put(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    if (this.destroyed) throw this.errored ?? new Error('the output closed before it finished');
    if (this.push(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const onClose = (): void => reject(this.errored ?? new Error('the output closed before it finished'));
      this.once('close', onClose);
      this.wake = () => {
        this.off('close', onClose);
        resolve();
      };
    });
  }
}

/**
 * A delta() over one run of changed blocks: its commands go straight into
 * the outer delta, without its own header and END.
 */
class ChangedRun {
  readonly job: JobStream;
  private readonly forwarding: Promise<void>;
  /** Bytes of the run's delta still to skip (its header), and the last byte held back (its END). */
  private skip = DELTA_HEADER.length;
  private held: Buffer | undefined;

  constructor(basis: SignatureSet, streamOptions: Record<string, unknown>, out: Outlet) {
    const job = delta(basis, { ...streamOptions });
    this.job = job;
    this.forwarding = (async () => {
      for await (const raw of job as AsyncIterable<Buffer>) {
        let chunk = raw;
        if (this.skip > 0) {
          const n = Math.min(this.skip, chunk.length);
          this.skip -= n;
          chunk = chunk.subarray(n);
        }
        if (chunk.length === 0) continue;
        if (this.held) await out.put(this.held);
        this.held = Buffer.from(chunk.subarray(chunk.length - 1));
        await out.put(chunk.subarray(0, chunk.length - 1));
      }
    })();
    // Seen by write()/end() below; this keeps it from being unhandled meanwhile.
    this.forwarding.catch(() => undefined);
  }

  async write(bytes: Buffer): Promise<void> {
    if (!this.job.write(bytes)) await Promise.race([drained(this.job), this.forwarding]);
  }

  /** Ends the run; resolves once all its commands are out. */
  async end(): Promise<number> {
    this.job.end();
    await this.forwarding;
    if (!this.held || this.held[0] !== 0) throw new Error('internal: a delta without its END command');
    return this.job.stats?.copyBytes ?? 0;
  }
}

/**
 * Takes a file's bytes; `signatureOutput` carries its signature (the same
 * bytes signature() gives) and `deltaOutput` a delta against the previous
 * version. The two outputs must be consumed concurrently.
 */
export class AlignedDelta extends Writable {
  readonly signatureOutput = new Outlet();
  readonly deltaOutput = new Outlet();
  /** Blocks found unchanged at their place, and bytes that went through the rolling search. */
  alignedBlocks = 0;
  searchedBytes = 0;
  copyBytes = 0;
  private readonly blockLength: number;
  private readonly step: number;
  private readonly basisEntries: Buffer;
  private readonly entryLength: number;
  private readonly basisBlocks: number;
  private readonly basisHeader: Buffer;
  private comparable: boolean | undefined;
  /**
   * Two buffers reused from step to step (no garbage per step): one step is
   * processed (its signature hashed on the thread pool) while the next one
   * is read into the other, so reading and hashing overlap.
   */
  private readonly buffers: Buffer[];
  private gather: Buffer;
  private filled = 0;
  /** The step in progress, if any; steps run one at a time, in order. */
  private running: Promise<void> | undefined;
  private position = 0;
  private sawHeader = false;
  private run: ChangedRun | undefined;
  private copyAt = 0;
  private copyLength = 0;
  private readonly tube = new OutputTube();
  private readonly counters = emptyStats('delta');

  constructor(private readonly options: AlignedDeltaOptions) {
    super({ highWaterMark: 1 << 20 });
    this.blockLength = options.blockLength;
    this.step = Math.max(1, Math.floor((options.stepBytes ?? STEP_BYTES) / this.blockLength)) * this.blockLength;
    // A small file gets a small buffer; still whole blocks, so that every step but the last is block-aligned.
    this.step = Math.min(this.step, Math.max(1, Math.ceil(options.size / this.blockLength)) * this.blockLength);
    // The second buffer only once a file has more than one step.
    this.buffers = [Buffer.allocUnsafeSlow(this.step)];
    this.gather = this.buffers[0];
    const bytes = options.basisBytes;
    this.basisHeader = bytes.subarray(0, HEADER_BYTES);
    const strong = bytes.length >= HEADER_BYTES ? bytes.readUInt32BE(8) : 0;
    this.entryLength = 4 + strong;
    this.basisEntries = bytes.subarray(HEADER_BYTES);
    this.basisBlocks = bytes.length >= HEADER_BYTES && strong > 0 ? Math.floor(this.basisEntries.length / this.entryLength) : 0;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const n = Math.min(chunk.length, this.step - this.filled);
    chunk.copy(this.gather, this.filled, 0, n);
    this.filled += n;
    if (n === chunk.length && this.filled < this.step) {
      callback();
      return;
    }
    this.take(chunk.subarray(n)).then(() => callback(), callback);
  }

  /** Starts the full step once the one before has finished, then gathers `rest` into the other buffer. */
  private async take(rest: Buffer): Promise<void> {
    for (;;) {
      await this.running;
      const step = this.processStep(this.gather);
      step.catch(() => undefined); // awaited before the next step or at the end
      this.running = step;
      if (this.buffers.length === 1) this.buffers.push(Buffer.allocUnsafeSlow(this.step));
      this.gather = this.gather === this.buffers[0] ? this.buffers[1] : this.buffers[0];
      const n = Math.min(rest.length, this.step);
      rest.copy(this.gather, 0, 0, n);
      this.filled = n;
      rest = rest.subarray(n);
      if (this.filled < this.step) return;
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) {
      this.run?.job.destroy(error);
      this.signatureOutput.destroy(error);
      this.deltaOutput.destroy(error);
    }
    callback(error);
  }

  private async finish(): Promise<void> {
    await this.running;
    if (this.filled > 0 || !this.sawHeader) await this.processStep(this.gather.subarray(0, this.filled));
    this.filled = 0;
    await this.closeRun();
    await this.flushCopy();
    await this.deltaOutput.put(OP_END);
    this.signatureOutput.push(null);
    this.deltaOutput.push(null);
  }

  /** One block-aligned step: its signature out, then its delta. */
  private async processStep(bytes: Buffer): Promise<void> {
    const { blockLength, size, streamOptions } = this.options;
    const sig = await runWhole(signature({ ...streamOptions, blockLength, size }), bytes);
    if (!this.sawHeader) {
      this.sawHeader = true;
      await this.deltaOutput.put(DELTA_HEADER);
      await this.signatureOutput.put(sig);
      // Entries are compared only when both signatures use the same sums.
      this.comparable = this.basisBlocks > 0 && sig.subarray(0, HEADER_BYTES).equals(this.basisHeader);
    } else {
      await this.signatureOutput.put(sig.subarray(HEADER_BYTES));
    }
    const entries = sig.subarray(HEADER_BYTES);
    const firstBlock = this.position / blockLength;
    let changedFrom = -1;
    for (let i = 0, at = 0; at < bytes.length; i++, at += blockLength) {
      const block = firstBlock + i;
      const length = Math.min(blockLength, bytes.length - at);
      const same =
        this.comparable &&
        block < this.basisBlocks &&
        entries.compare(this.basisEntries, block * this.entryLength, (block + 1) * this.entryLength, i * this.entryLength, (i + 1) * this.entryLength) === 0;
      if (!same) {
        if (changedFrom < 0) changedFrom = at;
        continue;
      }
      if (changedFrom >= 0) {
        await this.search(bytes.subarray(changedFrom, at));
        changedFrom = -1;
      }
      await this.closeRun();
      this.alignedBlocks++;
      await this.copy(block * blockLength, length);
    }
    if (changedFrom >= 0) await this.search(bytes.subarray(changedFrom));
    this.position += bytes.length;
  }

  /** Changed bytes: through the rolling search, in one run with the changed bytes right before them. */
  private async search(bytes: Buffer): Promise<void> {
    await this.flushCopy();
    this.run ??= new ChangedRun(this.options.basis, this.options.streamOptions, this.deltaOutput);
    this.searchedBytes += bytes.length;
    // A copy: the delta may still hold it when the gather buffer is refilled.
    await this.run.write(Buffer.from(bytes));
  }

  private async closeRun(): Promise<void> {
    if (!this.run) return;
    const run = this.run;
    this.run = undefined;
    this.copyBytes += await run.end();
  }

  private async copy(at: number, length: number): Promise<void> {
    if (this.copyLength > 0 && this.copyAt + this.copyLength === at) {
      this.copyLength += length;
      return;
    }
    await this.flushCopy();
    this.copyAt = at;
    this.copyLength = length;
  }

  private async flushCopy(): Promise<void> {
    if (this.copyLength === 0) return;
    const command = Buffer.allocUnsafe(32);
    this.tube.attach(command, 0, command.length);
    writeCopy(this.tube, this.counters, this.copyAt, this.copyLength);
    const n = this.tube.detach();
    this.copyBytes += this.copyLength;
    this.copyLength = 0;
    await this.deltaOutput.put(command.subarray(0, n));
  }
}
