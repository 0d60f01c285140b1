// Signature in TypeScript: the 12-byte header, then for each block of
// input its weak sum and the first strongLength bytes of its strong sum.
// A block may arrive over several steps; both sums are kept incrementally.
import { JobKind } from '../job';
import { hashOf, rollsumOf } from '../magic';
import { SignatureParams } from '../signature-params';
import { JsJob, STEP_INPUT_BUDGET } from './js-job';
import { StrongSum, createStrongSum } from './strong-sum';
import { WeakSum, createWeakSum } from './weak-sum';

export class JsSignatureJob extends JsJob {
  readonly kind: JobKind = 'signature';
  private readonly weak: WeakSum;
  private readonly entry: Uint8Array;
  private headerWritten = false;
  /** Bytes of the current block seen so far. */
  private inBlock = 0;

  private constructor(
    private readonly params: SignatureParams,
    private readonly strong: StrongSum,
  ) {
    super();
    this.weak = createWeakSum(rollsumOf(params.magic));
    this.entry = new Uint8Array(4 + params.strongLength);
    this.counters.blockLength = params.blockLength;
  }

  static async create(params: SignatureParams): Promise<JsSignatureJob> {
    return new JsSignatureJob(params, await createStrongSum(hashOf(params.magic)));
  }

  protected run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number {
    const { magic, blockLength, strongLength } = this.params;
    if (!this.headerWritten) {
      const header = new DataView(new ArrayBuffer(12));
      header.setUint32(0, magic);
      header.setUint32(4, blockLength);
      header.setUint32(8, strongLength);
      this.tube.put(new Uint8Array(header.buffer), 0, 12);
      this.headerWritten = true;
    }
    const end = inOff + Math.min(inLen, STEP_INPUT_BUDGET);
    let pos = inOff;
    // Stop at a full output buffer: the rest of the input waits.
    while (pos < end && this.tube.pending === 0) {
      const take = Math.min(end - pos, blockLength - this.inBlock);
      if (this.inBlock === 0 && take === blockLength) {
        this.weak.update(input, pos, pos + take);
        this.emit(this.strong.sum(input, pos, pos + take));
      } else {
        if (this.inBlock === 0) this.strong.begin();
        this.weak.update(input, pos, pos + take);
        this.strong.add(input, pos, pos + take);
        this.inBlock += take;
        if (this.inBlock === blockLength) this.emit(this.strong.finish());
      }
      pos += take;
    }
    if (eof && pos === inOff + inLen && this.tube.pending === 0) {
      if (this.inBlock > 0) this.emit(this.strong.finish());
      this.finished = true;
    }
    return pos - inOff;
  }

  private emit(strongSum: Uint8Array): void {
    const entry = this.entry;
    const weak = this.weak.digest();
    entry[0] = weak >>> 24;
    entry[1] = (weak >>> 16) & 0xff;
    entry[2] = (weak >>> 8) & 0xff;
    entry[3] = weak & 0xff;
    entry.set(strongSum.subarray(0, this.params.strongLength), 4);
    this.tube.put(entry, 0, entry.length);
    this.weak.reset();
    this.inBlock = 0;
    this.counters.signatureBlocks++;
  }
}
