// A signature loaded by the TypeScript backend: its parameters, every
// block's sums in a BlockIndex, and a strong hasher for the delta scans.
// The hasher is shared by every delta on this set; each use is one
// synchronous init/update/digest, so interleaved jobs cannot mix states.
import { BlockIndex } from '../block-index';
import { RollingHash, StrongHash, hashOf, rollsumOf } from '../magic';
import { StrongSum } from './strong-sum';

export class JsSignature {
  readonly hash: StrongHash;
  readonly rollsum: RollingHash;

  constructor(
    readonly magic: number,
    readonly blockLength: number,
    readonly strongLength: number,
    readonly index: BlockIndex,
    readonly strong: StrongSum,
  ) {
    this.hash = hashOf(magic);
    this.rollsum = rollsumOf(magic);
  }

  get blockCount(): number {
    return this.index.size;
  }
}
