// Signature in TypeScript: the 12-byte header, then for each block of
// input its weak sum and the first strongLength bytes of its strong sum.
// Steps gather their input into a batch of about 1 MiB of whole blocks,
// split on block boundaries across `concurrency` worker threads that
// compute both sums (see signature-workers.ts); the main thread only
// copies and writes entries out, in order, while the workers hash. Small
// batches, or no workers, are done inline; so is a part whose worker died.
// A block split across batches opens the next one.
import { defaultConcurrency } from '../concurrency';
import { JobKind } from '../job';
import { RollingHash, StrongHash, hashOf, rollsumOf } from '../magic';
import { SignatureParams } from '../signature-params';
import { JsJob, STEP_INPUT_BUDGET } from './js-job';
import { signatureEntries, signatureWorkers, weakSumOf } from './signature-workers';
import { StrongSum, createStrongSum } from './strong-sum';

/** Below this a worker round trip costs more than it saves. */
const WORKER_MIN_BATCH = 256 << 10;
/** First buffer of a batch, grown to full size (and shared) only for big inputs. */
const SMALL_BATCH = 64 << 10;
/** Smallest part of a batch sent to a worker of its own. */
const MIN_PART = 128 << 10;
/** Bounds the entries (output) one step can make with tiny blocks. */
const MAX_BLOCKS_PER_STEP = 8192;

interface PendingBatch {
  count: number;
  /** Each part's entries, in order. */
  parts: (Uint8Array | Promise<Uint8Array>)[];
}

export interface JsSignatureParams extends SignatureParams {
  /** Worker threads one batch is split across (default: defaultConcurrency()). */
  concurrency?: number;
}

export class JsSignatureJob extends JsJob {
  readonly kind: JobKind = 'signature';
  private headerWritten = false;
  /** Input gathered for the next batch: fill bytes, less than a block after each dispatch. */
  private open: Uint8Array | undefined;
  private fill = 0;
  /** A batch whose entries are written on the next step. */
  private inFlight: PendingBatch | undefined;
  /** Batch buffers whose entries are done, for reuse (at most three are live). */
  private readonly spare: Uint8Array[] = [];
  private readonly batchCapacity: number;
  private readonly concurrency: number;
  private readonly hash: StrongHash;
  private readonly rolling: RollingHash;

  private constructor(
    private readonly params: SignatureParams,
    private readonly strong: StrongSum,
    concurrency: number,
  ) {
    super();
    this.batchCapacity = params.blockLength + Math.min(STEP_INPUT_BUDGET, MAX_BLOCKS_PER_STEP * params.blockLength);
    this.concurrency = concurrency;
    this.hash = hashOf(params.magic);
    this.rolling = rollsumOf(params.magic);
    this.counters.blockLength = params.blockLength;
  }

  static async create(params: JsSignatureParams): Promise<JsSignatureJob> {
    const { concurrency = defaultConcurrency(), ...rest } = params;
    return new JsSignatureJob(rest, await createStrongSum(hashOf(params.magic)), concurrency);
  }

  protected run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number | Promise<number> {
    const { blockLength } = this.params;
    if (!this.headerWritten) this.writeHeader();
    // Input is gathered into the open batch whatever the size of the
    // writes (a stream's 16 or 64 KiB chunks too), and the batch goes to
    // the workers once it holds `target` bytes: bigger, fewer round trips.
    const target = Math.max(blockLength, this.batchCapacity - blockLength);
    const take = Math.min(inLen, target - this.fill, STEP_INPUT_BUDGET); // fill < target between steps
    const last = eof && take === inLen;
    if (take > 0) {
      const open = this.roomFor(take);
      open.set(input.subarray(inOff, inOff + take), this.fill);
      this.fill += take;
    }
    const ready: PendingBatch[] = [];
    if (this.fill >= target || (last && this.fill > 0)) {
      // Its complete blocks (everything at the end of input); the start
      // of a block that has not arrived whole opens the next batch.
      const batch = this.open!;
      const whole = last ? this.fill : this.fill - (this.fill % blockLength);
      if (last) {
        this.open = undefined;
      } else {
        this.open = this.batchBuffer(this.batchCapacity);
        this.open.set(batch.subarray(whole, this.fill), 0);
      }
      this.fill -= whole;
      if (this.inFlight) ready.push(this.inFlight);
      this.inFlight = this.startBatch(batch, whole); // written on a later step, so the workers hash it meanwhile
    }
    if (last && this.inFlight) {
      ready.push(this.inFlight);
      this.inFlight = undefined;
    }
    return this.emit(ready, last, take);
  }

  /** The open batch, with room for `n` more bytes. */
  private roomFor(n: number): Uint8Array {
    if (this.open && this.open.length >= this.fill + n) return this.open;
    const grown = this.batchBuffer(this.fill + n);
    if (this.open) grown.set(this.open.subarray(0, this.fill), 0);
    this.open = grown;
    return grown;
  }

  /** Splits the batch's blocks across the workers; small batches are done inline. */
  private startBatch(batch: Uint8Array, filled: number): PendingBatch {
    const { blockLength } = this.params;
    const count = Math.ceil(filled / blockLength);
    const workers = filled >= WORKER_MIN_BATCH ? signatureWorkers(Math.min(this.concurrency, Math.ceil(filled / MIN_PART))) : [];
    if (workers.length === 0) {
      const entries = this.inlineEntries(batch.subarray(0, filled));
      this.spare.push(batch);
      return { count, parts: [entries] };
    }
    const perPart = Math.ceil(count / workers.length) * blockLength;
    const parts: Promise<Uint8Array>[] = [];
    for (let start = 0, i = 0; start < filled; start += perPart, i++) {
      const data = batch.subarray(start, Math.min(filled, start + perPart));
      const { hash, rolling } = this;
      const { strongLength } = this.params;
      parts.push(
        workers[i]
          .entries({ hash, rolling, data, blockLength, strongLength })
          .catch(() => this.inlineEntries(data)), // the worker died: the part is still here
      );
    }
    const done = Promise.all(parts).then(() => this.spare.push(batch));
    done.catch(() => undefined); // reported when the batch is written
    return { count, parts };
  }

  /**
   * A reused buffer, or a new one: full-sized and shared with the workers
   * (read there in place) for big inputs, just enough for small ones.
   */
  private batchBuffer(size: number): Uint8Array {
    const spare = this.spare.pop();
    if (spare && spare.length >= size) return spare;
    if (size < WORKER_MIN_BATCH) return new Uint8Array(Math.max(size, Math.min(SMALL_BATCH, this.batchCapacity)));
    return new Uint8Array(new SharedArrayBuffer(this.batchCapacity));
  }

  /** Writes the entries of `batches` in order, synchronously when they are all known. */
  private emit(batches: PendingBatch[], last: boolean, take: number): number | Promise<number> {
    const finish = (): number => {
      if (last) this.finished = true;
      return take;
    };
    if (batches.every((batch) => batch.parts.every((part) => !(part instanceof Promise)))) {
      for (const batch of batches) this.writeEntries(batch.count, batch.parts as Uint8Array[]);
      return finish();
    }
    return (async () => {
      for (const batch of batches) this.writeEntries(batch.count, await Promise.all(batch.parts));
      return finish();
    })();
  }

  private writeHeader(): void {
    const header = new DataView(new ArrayBuffer(12));
    header.setUint32(0, this.params.magic);
    header.setUint32(4, this.params.blockLength);
    header.setUint32(8, this.params.strongLength);
    this.tube.put(new Uint8Array(header.buffer), 0, 12);
    this.headerWritten = true;
  }

  private inlineEntries(data: Uint8Array): Uint8Array {
    const strong = this.strong;
    return signatureEntries(data, this.params.blockLength, this.params.strongLength, weakSumOf[this.rolling], (bytes, start, end) =>
      strong.sum(bytes, start, end),
    );
  }

  private writeEntries(count: number, parts: Uint8Array[]): void {
    for (const entries of parts) this.tube.put(entries, 0, entries.length);
    this.counters.signatureBlocks += count;
  }
}
