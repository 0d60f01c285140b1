// Job implementation backed by the native addon (librsync on the libuv
// thread pool).
import { fromNativeError } from './errors';
import { Job, JobKind, JobStats } from './job';
import { NativeJobState, NativeSignatureSet, nativeBinding } from './native-binding';

const KIND_NUMBER: Record<JobKind, number> = { signature: 0, loadsig: 1, delta: 2, patch: 3 };

export interface NativeJobOptions {
  magic?: number;
  blockLength?: number;
  strongLength?: number;
  signature?: NativeSignatureSet;
  basisFd?: number;
  basisBuffer?: Uint8Array;
  maxOutput?: number;
}

export class NativeJob implements Job {
  readonly kind: JobKind;
  private readonly state = new Float64Array(3);
  private readonly handle: NativeJobState;

  constructor(kind: JobKind, options: NativeJobOptions = {}) {
    const { NativeJob: Native } = nativeBinding();
    this.kind = kind;
    try {
      this.handle = new Native(KIND_NUMBER[kind], this.state, options);
    } catch (err) {
      throw fromNativeError(err, kind);
    }
  }

  step: Job['step'] = (eof, input, inOff, inLen, output, outOff, outLen, callback) => {
    this.handle.step(eof, input, inOff, inLen, output, outOff, outLen, (err) => {
      const [consumed, produced, done] = this.state;
      callback(err ? fromNativeError(err, this.kind) : null, consumed, produced, done === 1);
    });
  };

  stats(): JobStats {
    const s = this.handle.stats();
    return {
      operation: this.kind,
      inBytes: s.inBytes ?? 0,
      outBytes: s.outBytes ?? 0,
      literalCommands: s.literalCommands ?? 0,
      literalBytes: s.literalBytes ?? 0,
      literalCommandBytes: s.literalCommandBytes ?? 0,
      copyCommands: s.copyCommands ?? 0,
      copyBytes: s.copyBytes ?? 0,
      copyCommandBytes: s.copyCommandBytes ?? 0,
      falseMatches: s.falseMatches ?? 0,
      signatureBlocks: s.signatureBlocks ?? 0,
      blockLength: s.blockLength ?? 0,
    };
  }

  /** loadsig only: the set loaded and indexed by a finished job. */
  takeSignature(): NativeSignatureSet {
    return this.handle.takeSignature();
  }

  close(): void {
    this.handle.close();
  }
}
