// Signature against signature: which blocks of a new signature occur in
// an old one, and where. Both are streamed; the old one is indexed in
// typed arrays, the new one is matched batch by batch as it arrives, so
// the main thread only ever does one chunk's worth of work at a time.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlockIndex } from './block-index';
import { ByteSource, toReadable } from './byte-source';
import { LibrsyncError } from './errors';
import { hashOf, rollsumOf } from './magic';
import { SignatureHeader, SignatureReader } from './signature-reader';

export interface BlockRun {
  /** First block of the run in the new signature. */
  newBlock: number;
  /** First block of the run in the old signature (matches only). */
  oldBlock?: number;
  /** Number of consecutive blocks. */
  count: number;
}

export interface SignatureComparison {
  magic: number;
  hash: string;
  rollsum: string;
  blockLength: number;
  /** Strong-sum bytes compared: the shorter of the two signatures'. */
  strongLength: number;
  oldBlocks: number;
  newBlocks: number;
  matchedBlocks: number;
  missingBlocks: number;
  /** For each new block, the first old block with the same sums, or -1. */
  oldBlockOf: Int32Array;
  /** Runs of new blocks found at consecutive old blocks. */
  matches: BlockRun[];
  /** Runs of new blocks found nowhere in the old signature. */
  missing: BlockRun[];
}

export interface CompareOptions {
  signal?: AbortSignal;
}

function consume(reader: SignatureReader): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, callback) {
      try {
        reader.push(chunk);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    final(callback) {
      try {
        reader.end();
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}

export async function compareSignatures(
  oldSignature: ByteSource,
  newSignature: ByteSource,
  options: CompareOptions = {},
): Promise<SignatureComparison> {
  let index: BlockIndex | undefined;
  const oldReader = new SignatureReader((weak, strong) => {
    index ??= new BlockIndex(oldReader.header!.strongLength, 1024);
    index.addBatch(weak, strong);
  });
  await pipeline(toReadable(oldSignature), consume(oldReader), { signal: options.signal });
  const oldHeader = oldReader.header!;

  let oldBlockOf = new Int32Array(1024);
  let compareLength = 0;
  const checkHeader = (header: SignatureHeader): void => {
    if (header.magic !== oldHeader.magic || header.blockLength !== oldHeader.blockLength) {
      throw new LibrsyncError(
        'RS_SIGNATURE_MISMATCH',
        `signatures are not comparable: old has magic 0x${oldHeader.magic.toString(16)} and block length ` +
          `${oldHeader.blockLength}, new has magic 0x${header.magic.toString(16)} and block length ${header.blockLength}`,
      );
    }
    compareLength = Math.min(header.strongLength, oldHeader.strongLength);
  };
  const newReader = new SignatureReader((weak, strong, first) => {
    const L = newReader.header!.strongLength;
    if (first + weak.length > oldBlockOf.length) {
      let size = oldBlockOf.length;
      while (size < first + weak.length) size *= 2;
      const grown = new Int32Array(size);
      grown.set(oldBlockOf);
      oldBlockOf = grown;
    }
    for (let i = 0; i < weak.length; i++) {
      oldBlockOf[first + i] = index ? index.find(weak[i], strong, i * L, compareLength) : -1;
    }
  }, checkHeader);
  const newInput = toReadable(newSignature);
  await pipeline(newInput, consume(newReader), { signal: options.signal });

  const newBlocks = newReader.blockCount;
  oldBlockOf = oldBlockOf.slice(0, newBlocks);
  const matches: BlockRun[] = [];
  const missing: BlockRun[] = [];
  let matched = 0;
  for (let i = 0; i < newBlocks; i++) {
    const old = oldBlockOf[i];
    if (old >= 0) {
      matched++;
      const last = matches[matches.length - 1];
      if (last && last.newBlock + last.count === i && last.oldBlock! + last.count === old) last.count++;
      else matches.push({ newBlock: i, oldBlock: old, count: 1 });
    } else {
      const last = missing[missing.length - 1];
      if (last && last.newBlock + last.count === i) last.count++;
      else missing.push({ newBlock: i, count: 1 });
    }
  }
  return {
    magic: oldHeader.magic,
    hash: hashOf(oldHeader.magic),
    rollsum: rollsumOf(oldHeader.magic),
    blockLength: oldHeader.blockLength,
    strongLength: compareLength,
    oldBlocks: oldReader.blockCount,
    newBlocks,
    matchedBlocks: matched,
    missingBlocks: newBlocks - matched,
    oldBlockOf,
    matches,
    missing,
  };
}
