// Signature in TypeScript: the 12-byte header, then for each block of
// input its weak sum and the first strongLength bytes of its strong sum.
// Each step gathers its complete blocks into one batch; the main thread
// rolls their weak sums while a worker thread hashes the batch (small
// batches, or no worker, are hashed inline; so is a batch whose worker
// died). A block split across steps is carried over; its weak sum is kept
// incrementally.
import { JobKind } from '../job';
import { StrongHash, hashOf, rollsumOf } from '../magic';
import { SignatureParams } from '../signature-params';
import { JsJob, STEP_INPUT_BUDGET } from './js-job';
import { StrongSum, createStrongSum } from './strong-sum';
import { strongSumWorker } from './strong-sum-worker';
import { WeakSum, createWeakSum } from './weak-sum';

/** Below this a worker round trip costs more than it saves. */
const WORKER_MIN_BATCH = 256 << 10;
/** Bounds the entries (output) one step can make with tiny blocks. */
const MAX_BLOCKS_PER_STEP = 8192;

interface PendingBatch {
  weakSums: Uint32Array;
  count: number;
  sums: Uint8Array | Promise<Uint8Array>;
}

export class JsSignatureJob extends JsJob {
  readonly kind: JobKind = 'signature';
  /** Weak sum of a block arriving in pieces. */
  private readonly weak: WeakSum;
  /** Weak sum of whole blocks. */
  private readonly blockWeak: WeakSum;
  private readonly hash: StrongHash;
  private readonly entry: Uint8Array;
  private headerWritten = false;
  /** The start of a block that has not arrived whole yet. */
  private readonly carry: Uint8Array;
  private inBlock = 0;
  /** A batch whose entries are written on the next step. */
  private inFlight: PendingBatch | undefined;
  /** Batch buffers whose sums are done, for reuse. */
  private readonly spare: Uint8Array[] = [];
  private readonly batchCapacity: number;

  private constructor(
    private readonly params: SignatureParams,
    private readonly strong: StrongSum,
  ) {
    super();
    this.weak = createWeakSum(rollsumOf(params.magic));
    this.blockWeak = createWeakSum(rollsumOf(params.magic));
    this.hash = hashOf(params.magic);
    this.entry = new Uint8Array(4 + params.strongLength);
    this.carry = new Uint8Array(params.blockLength);
    this.batchCapacity = params.blockLength + Math.min(STEP_INPUT_BUDGET, MAX_BLOCKS_PER_STEP * params.blockLength);
    this.counters.blockLength = params.blockLength;
  }

  static async create(params: SignatureParams): Promise<JsSignatureJob> {
    return new JsSignatureJob(params, await createStrongSum(hashOf(params.magic)));
  }

  protected run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number | Promise<number> {
    const { blockLength } = this.params;
    if (!this.headerWritten) this.writeHeader();
    const take = Math.min(inLen, STEP_INPUT_BUDGET, MAX_BLOCKS_PER_STEP * blockLength);
    const last = eof && take === inLen;

    // Pass 1: the step's complete blocks, back to back, in one buffer (of
    // the two or three this job reuses). Carried blocks get their weak sums
    // here, as their pieces arrive.
    const size = this.inBlock + take;
    const batch = this.batchBuffer(size);
    const weakSums = new Uint32Array(Math.ceil(size / blockLength));
    const wholeBlocks: number[] = []; // indexes of blocks still needing a weak sum
    let blocks = 0;
    let filled = 0;
    const carried = (): void => {
      weakSums[blocks++] = this.weak.digest();
      this.weak.reset();
      this.inBlock = 0;
    };
    for (let pos = inOff, end = inOff + take; pos < end; ) {
      const n = Math.min(end - pos, blockLength - this.inBlock);
      if (this.inBlock === 0 && n === blockLength) {
        batch.set(input.subarray(pos, pos + n), filled);
        wholeBlocks.push(blocks++);
      } else {
        this.weak.update(input, pos, pos + n);
        this.carry.set(input.subarray(pos, pos + n), this.inBlock);
        this.inBlock += n;
        if (this.inBlock === blockLength) {
          batch.set(this.carry, filled);
          carried();
        }
      }
      if (this.inBlock === 0) filled += blockLength;
      pos += n;
    }
    if (last && this.inBlock > 0) {
      batch.set(this.carry.subarray(0, this.inBlock), filled); // the short last block
      filled += this.inBlock;
      carried();
    }
    // Pass 2: weak sums of the whole blocks.
    for (const i of wholeBlocks) {
      this.blockWeak.reset();
      this.blockWeak.update(batch, i * blockLength, (i + 1) * blockLength);
      weakSums[i] = this.blockWeak.digest();
    }
    // The strong sums: by the worker while this thread goes on with the
    // next step (the entries are written then), or inline for a small batch.
    const data = batch.subarray(0, filled);
    const worker = filled >= WORKER_MIN_BATCH ? strongSumWorker() : undefined;
    let sums: Uint8Array | Promise<Uint8Array>;
    if (worker) {
      const { strongLength } = this.params;
      sums = worker
        .sums({ hash: this.hash, data, blockLength, strongLength })
        .catch(() => this.inlineSums(data)) // the worker died: the batch is still here
        .then((result) => {
          this.spare.push(batch);
          return result;
        });
      sums.catch(() => undefined); // reported when the batch is written
    } else {
      sums = this.inlineSums(data);
      this.spare.push(batch);
    }
    const ready = this.inFlight ? [this.inFlight] : [];
    this.inFlight = { weakSums, count: blocks, sums };
    if (last) {
      ready.push(this.inFlight);
      this.inFlight = undefined;
    }
    return this.emit(ready, last, take);
  }

  /**
   * A reused buffer, or a new one: full-sized and shared with the worker
   * (read there in place) for big inputs, just enough for small ones.
   */
  private batchBuffer(size: number): Uint8Array {
    const spare = this.spare.pop();
    if (spare && spare.length >= size) return spare;
    if (size < WORKER_MIN_BATCH) return new Uint8Array(size);
    return new Uint8Array(new SharedArrayBuffer(this.batchCapacity));
  }

  /** Writes the entries of `batches` in order, synchronously when their sums are all known. */
  private emit(batches: PendingBatch[], last: boolean, take: number): number | Promise<number> {
    const finish = (): number => {
      if (last) this.finished = true;
      return take;
    };
    if (batches.every((batch) => !(batch.sums instanceof Promise))) {
      for (const batch of batches) this.writeEntries(batch, batch.sums as Uint8Array);
      return finish();
    }
    return (async () => {
      for (const batch of batches) this.writeEntries(batch, await batch.sums);
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

  private inlineSums(data: Uint8Array): Uint8Array {
    const { blockLength, strongLength } = this.params;
    const count = Math.ceil(data.length / blockLength);
    const sums = new Uint8Array(count * strongLength);
    for (let i = 0, at = 0; i < count; i++, at += blockLength) {
      const sum = this.strong.sum(data, at, Math.min(data.length, at + blockLength));
      sums.set(sum.subarray(0, strongLength), i * strongLength);
    }
    return sums;
  }

  private writeEntries({ weakSums, count }: PendingBatch, strongSums: Uint8Array): void {
    const { strongLength } = this.params;
    const entry = this.entry;
    for (let i = 0; i < count; i++) {
      const weak = weakSums[i];
      entry[0] = weak >>> 24;
      entry[1] = (weak >>> 16) & 0xff;
      entry[2] = (weak >>> 8) & 0xff;
      entry[3] = weak & 0xff;
      entry.set(strongSums.subarray(i * strongLength, (i + 1) * strongLength), 4);
      this.tube.put(entry, 0, entry.length);
    }
    this.counters.signatureBlocks += count;
  }
}
