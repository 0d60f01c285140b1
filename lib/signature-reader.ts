// Incremental parser of the signature format (header, then one weak sum
// and strong-sum prefix per block). It accepts and rejects exactly what
// librsync's loader does, except that it also refuses block lengths above
// MAX_BLOCK_LENGTH, as the native loader does.
import { LibrsyncError } from './errors';
import { SIGNATURE_MAGIC, isSignatureMagic, maxStrongLength } from './magic';
import { MAX_BLOCK_LENGTH } from './signature-params';

const HEADER_LENGTH = 12;

export interface SignatureHeader {
  magic: number;
  blockLength: number;
  /** Bytes of strong sum stored per block (a 0 in the file means the maximum). */
  strongLength: number;
}

/** Called with a batch of blocks: weak sums and their strong sums packed back to back. */
export type BlockBatchHandler = (weak: Uint32Array, strong: Uint8Array, firstIndex: number) => void;

export class SignatureReader {
  header: SignatureHeader | undefined;
  blockCount = 0;
  private pending: Buffer = Buffer.alloc(0);

  /** `onHeader` runs before any block is passed to `onBlocks`, and may throw to reject it. */
  constructor(
    private readonly onBlocks: BlockBatchHandler,
    private readonly onHeader?: (header: SignatureHeader) => void,
  ) {}

  push(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.header) {
      if (data.length < HEADER_LENGTH) {
        // Fields are checked as they arrive, as librsync does: a bad block
        // length in a header cut short is corrupt, not truncated.
        checkHeaderPrefix(data);
        this.pending = data;
        return;
      }
      this.header = parseHeader(data);
      this.onHeader?.(this.header);
      data = data.subarray(HEADER_LENGTH);
    }
    const entry = 4 + this.header.strongLength;
    const count = Math.floor(data.length / entry);
    if (count > 0) {
      const weak = new Uint32Array(count);
      const strong = new Uint8Array(count * this.header.strongLength);
      for (let i = 0, p = 0; i < count; i++, p += entry) {
        weak[i] = data.readUInt32BE(p);
        strong.set(data.subarray(p + 4, p + entry), i * this.header.strongLength);
      }
      this.onBlocks(weak, strong, this.blockCount);
      this.blockCount += count;
    }
    this.pending = Buffer.from(data.subarray(count * entry));
  }

  /** Checks the input ended on an acceptable boundary. */
  end(): SignatureHeader {
    if (!this.header) {
      throw new LibrsyncError('RS_INPUT_ENDED', 'signature ended before its 12-byte header was complete');
    }
    // librsync ignores 1 to 3 stray bytes but not a partial block entry.
    if (this.pending.length >= 4) {
      throw new LibrsyncError('RS_INPUT_ENDED', 'signature ends in the middle of a block entry (truncated?)');
    }
    return this.header;
  }
}

/**
 * The checks librsync makes on the first fields of a header before the
 * rest has arrived: the magic is only read (it is checked after the strong
 * length), the block length is checked as soon as it is complete.
 */
function checkHeaderPrefix(data: Uint8Array): void {
  if (data.length < 8) return;
  const blockLength = Buffer.from(data.buffer, data.byteOffset, 8).readInt32BE(4);
  if (blockLength < 1) throw new LibrsyncError('RS_CORRUPT', `signature block length ${blockLength} is invalid`);
}

/**
 * Validates a header in librsync's order, so both loaders report the same
 * code. Magic 0 is librsync's default, RabinKarp with BLAKE2 (rs_sig_args):
 * it loads as that, and the set reports that magic, as the native one does.
 */
export function parseHeader(data: Uint8Array): SignatureHeader {
  const view = Buffer.from(data.buffer, data.byteOffset, HEADER_LENGTH);
  checkHeaderPrefix(view);
  const blockLength = view.readInt32BE(4);
  const stored = view.readInt32BE(8);
  if (stored < 0 || stored > 32) throw new LibrsyncError('RS_CORRUPT', `signature strong sum length ${stored} is invalid`);
  const magic = view.readUInt32BE(0) || SIGNATURE_MAGIC.rabinkarpBlake2;
  if (!isSignatureMagic(magic)) {
    throw new LibrsyncError('RS_BAD_MAGIC', `not a signature: magic 0x${magic.toString(16).padStart(8, '0')}`);
  }
  const max = maxStrongLength(magic);
  if (stored > max) {
    throw new LibrsyncError('RS_PARAM_ERROR', `signature strong sum length ${stored} exceeds ${max} for its hash`);
  }
  if (blockLength > MAX_BLOCK_LENGTH) {
    throw new LibrsyncError('RS_BLOCK_TOO_LONG', `signature block length ${blockLength} exceeds the supported ${MAX_BLOCK_LENGTH}`);
  }
  return { magic, blockLength, strongLength: stored === 0 ? max : stored };
}
