// Loading a signature in TypeScript: the shared SignatureReader validates
// exactly as the native loader does, and blocks go into a BlockIndex.
import { BlockIndex } from '../block-index';
import { LibrsyncError } from '../errors';
import { JobKind } from '../job';
import { hashOf } from '../magic';
import { SignatureHeader, SignatureReader } from '../signature-reader';
import { JsJob, STEP_INPUT_BUDGET } from './js-job';
import { JsSignature } from './js-signature';
import { createStrongSum } from './strong-sum';

/**
 * Entries indexed in one step: each costs a parse and a table insert, so
 * 1 MiB of 5-byte entries (strong length 1) took about 30 ms. The first
 * steps take fewer: before V8 has optimized the loop, 4096 entries of a
 * BLAKE2 signature took 30-70 ms, and 1.5-2 ms once it has.
 */
const MAX_ENTRIES_PER_STEP = 4096;
const FIRST_ENTRIES_PER_STEP = 256;
const HEADER_LENGTH = 12;

export class JsLoadSignatureJob extends JsJob {
  readonly kind: JobKind = 'loadsig';
  private index: BlockIndex | undefined;
  private readonly reader: SignatureReader;
  private result: JsSignature | undefined;
  private loading: Promise<void> | undefined;
  private headerBytes = 0;
  private entriesPerStep = FIRST_ENTRIES_PER_STEP;

  constructor() {
    super();
    this.reader = new SignatureReader(
      (weak, strong) => this.index!.addBatch(weak, strong),
      (header) => this.start(header),
    );
  }

  private start(header: SignatureHeader): void {
    this.index = new BlockIndex(header.strongLength);
    this.counters.blockLength = header.blockLength;
  }

  protected run(eof: boolean, input: Uint8Array, inOff: number, inLen: number): number | Promise<number> {
    try {
      // The header first (copied: the reader may keep a partial one), so
      // that the budget below counts whole entries.
      const headerPart = this.reader.header ? 0 : Math.min(inLen, HEADER_LENGTH - this.headerBytes);
      if (headerPart > 0) {
        this.reader.push(Buffer.from(input.subarray(inOff, inOff + headerPart)));
        this.headerBytes += headerPart;
      }
      const entryLength = 4 + (this.reader.header?.strongLength ?? 1);
      const take = Math.min(inLen, STEP_INPUT_BUDGET, headerPart + this.entriesPerStep * entryLength);
      this.entriesPerStep = Math.min(MAX_ENTRIES_PER_STEP, this.entriesPerStep * 2);
      if (take > headerPart) this.reader.push(Buffer.from(input.buffer, input.byteOffset + inOff + headerPart, take - headerPart));
      if (!eof || take < inLen) return take;
      const complete = this.reader.end();
      this.counters.signatureBlocks = this.index!.size;
      // The hasher deltas will use: created once the set is known good.
      this.loading ??= createStrongSum(hashOf(complete.magic)).then((strong) => {
        this.result = new JsSignature(complete.magic, complete.blockLength, complete.strongLength, this.index!, strong);
        this.finished = true;
      });
      return this.loading.then(() => take);
    } catch (err) {
      if (err instanceof LibrsyncError) throw this.error(err.code, err.message);
      throw err;
    }
  }

  /** The loaded set, once the job has finished. */
  takeSignature(): JsSignature {
    if (!this.result) throw this.error('RS_INTERNAL_ERROR', 'the signature has not been loaded');
    return this.result;
  }
}
