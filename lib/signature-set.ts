// A loaded, indexed signature: what delta jobs match against. One set can
// serve any number of concurrent deltas; close() releases it once the
// last of them has finished.
import { RollingHash, StrongHash, hashOf, rollsumOf } from './magic';
import { NativeSignatureSet } from './native-binding';
import { paramError } from './errors';

export class SignatureSet {
  readonly magic: number;
  readonly hash: StrongHash;
  readonly rollsum: RollingHash;
  readonly blockLength: number;
  readonly strongLength: number;
  readonly blockCount: number;
  /** @internal the native set; undefined once closed */
  private nativeSet: NativeSignatureSet | undefined;

  /** @internal use loadSignature() */
  constructor(native: NativeSignatureSet) {
    const info = native.info();
    if (!info) throw paramError('signature set is closed');
    this.nativeSet = native;
    this.magic = info.magic;
    this.hash = hashOf(info.magic);
    this.rollsum = rollsumOf(info.magic);
    this.blockLength = info.blockLength;
    this.strongLength = info.strongLength;
    this.blockCount = info.blockCount;
  }

  get closed(): boolean {
    return this.nativeSet === undefined;
  }

  /** @internal */
  get native(): NativeSignatureSet {
    if (!this.nativeSet) throw paramError('the SignatureSet has been closed');
    return this.nativeSet;
  }

  /** Releases the set; deltas already running keep it until they end. */
  close(): void {
    this.nativeSet?.close();
    this.nativeSet = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
