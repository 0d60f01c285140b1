// A signature computed on several thread-pool work items at once. Blocks
// are hashed independently, so each step's input is cut into
// block-aligned stripes and each stripe is the whole input of its own
// librsync signature job; their entries, concatenated in order after the
// first header, are exactly what one job over the whole input writes.
import { Job } from './job';
import { NativeJob } from './native-job';
import { SignatureParams } from './signature-params';
import { StripedJob } from './striped-job';

/** Bytes per stripe (rounded to whole blocks): a few ms of hashing per work item. */
export const SIGNATURE_STRIPE = 4 << 20;
const HEADER_LENGTH = 12;

export class ParallelSignatureJob extends StripedJob {
  readonly kind = 'signature' as const;
  readonly preferredInput: number;
  private readonly stripe: number;
  private readonly entryLength: number;
  private readonly outputs: Uint8Array[];
  private headerWritten = false;

  /** `stripe` (bytes per work item, rounded to whole blocks) is for tests. */
  constructor(
    private readonly params: SignatureParams,
    concurrency: number,
    options: { stripe?: number } = {},
  ) {
    super('signature');
    const blocks = Math.max(1, Math.floor((options.stripe ?? SIGNATURE_STRIPE) / params.blockLength));
    this.stripe = blocks * params.blockLength;
    this.preferredInput = this.stripe * concurrency;
    this.entryLength = 4 + params.strongLength;
    this.outputs = Array.from({ length: concurrency }, () => new Uint8Array(HEADER_LENGTH + (blocks + 1) * this.entryLength));
    this.counters.blockLength = params.blockLength;
  }

  step: Job['step'] = (eof, input, inOff, inLen, output, outOff, outLen, callback) => {
    this.tube.attach(output, outOff, outLen);
    if (this.tube.pending > 0 || this.ended || (input === null && !eof)) {
      this.finish(0, callback);
      return;
    }
    const blockLength = this.params.blockLength;
    // Whole blocks only, until the end: a short block is the file's last.
    const take = Math.min(inLen, this.preferredInput);
    const usable = eof && take === inLen ? take : take - (take % blockLength);
    if (usable === 0 && !(eof && take === inLen)) {
      this.finish(0, callback); // too little for a block: the stream gathers more
      return;
    }
    const last = eof && usable === inLen;
    const data = input ?? new Uint8Array(0);
    const stripes: Promise<Uint8Array>[] = [];
    for (let at = 0, i = 0; i === 0 || at < usable; at += this.stripe, i++) {
      const end = Math.min(usable, at + this.stripe);
      stripes.push(this.runStripe(new NativeJob('signature', this.params), data, inOff + at, inOff + end, this.outputs[i]));
    }
    Promise.all(stripes).then(
      (parts) => {
        if (this.closed) return;
        for (const part of parts) {
          const from = this.headerWritten ? HEADER_LENGTH : 0;
          this.headerWritten = true;
          this.tube.put(part, from, part.length);
          this.counters.signatureBlocks += (part.length - HEADER_LENGTH) / this.entryLength;
        }
        this.counters.inBytes += usable;
        if (last) this.ended = true;
        this.finish(usable, callback);
      },
      (err: Error) => {
        if (!this.closed) callback(err, 0, 0, false);
      },
    );
  };
}
