// A loaded, indexed signature: what delta jobs match against. One set can
// serve any number of concurrent deltas; close() releases it once the
// last of them has finished. A set belongs to the backend that loaded it.
import { Backend } from './backend';
import { paramError } from './errors';
import { JsSignature } from './js/js-signature';
import { RollingHash, StrongHash, hashOf, rollsumOf } from './magic';
import { NativeSignatureSet } from './native-binding';

export class SignatureSet {
  readonly backend: Backend;
  readonly magic: number;
  readonly hash: StrongHash;
  readonly rollsum: RollingHash;
  readonly blockLength: number;
  readonly strongLength: number;
  readonly blockCount: number;
  private nativeSet: NativeSignatureSet | undefined;
  private jsSet: JsSignature | undefined;

  /** @internal use loadSignature() */
  constructor(loaded: NativeSignatureSet | JsSignature) {
    const info = loaded instanceof JsSignature ? loaded : loaded.info();
    if (!info) throw paramError('signature set is closed');
    if (loaded instanceof JsSignature) this.jsSet = loaded;
    else this.nativeSet = loaded;
    this.backend = loaded instanceof JsSignature ? 'js' : 'native';
    this.magic = info.magic;
    this.hash = hashOf(info.magic);
    this.rollsum = rollsumOf(info.magic);
    this.blockLength = info.blockLength;
    this.strongLength = info.strongLength;
    this.blockCount = info.blockCount;
  }

  get closed(): boolean {
    return this.nativeSet === undefined && this.jsSet === undefined;
  }

  /** @internal */
  get native(): NativeSignatureSet {
    return this.loaded('native', this.nativeSet);
  }

  /** @internal */
  get js(): JsSignature {
    return this.loaded('js', this.jsSet);
  }

  private loaded<T>(backend: Backend, set: T | undefined): T {
    if (this.closed) throw paramError('the SignatureSet has been closed');
    if (set === undefined) {
      throw paramError(
        `this SignatureSet was loaded by the ${this.backend} backend; load the signature with { backend: '${backend}' } to use it there`,
      );
    }
    return set;
  }

  /** Releases the set; deltas already running keep it until they end. */
  close(): void {
    this.nativeSet?.close();
    this.nativeSet = undefined;
    this.jsSet = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
