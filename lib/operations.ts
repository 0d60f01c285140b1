// The public stream factories: signature, delta and patch as Transforms
// over the native job, and loadSignature.
import { FileHandle, open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ByteSource, toReadable } from './byte-source';
import { paramError } from './errors';
import { JobStream, JobStreamOptions } from './job-stream';
import { NativeJob } from './native-job';
import { SignatureOptions, resolveSignatureParams } from './signature-params';
import { SignatureSet } from './signature-set';

export type SignatureStreamOptions = SignatureOptions & JobStreamOptions;

/** basis bytes → signature. */
export function signature(options: SignatureStreamOptions = {}): JobStream {
  const params = resolveSignatureParams(options);
  return new JobStream(new NativeJob('signature', params), true, options);
}

export type DeltaStreamOptions = JobStreamOptions;

/** new file bytes → delta against `sig`. */
export function delta(sig: SignatureSet, options: DeltaStreamOptions = {}): JobStream {
  if (!(sig instanceof SignatureSet)) throw paramError('delta() needs a SignatureSet from loadSignature()');
  // The job holds its own reference: closing the set later does not affect it.
  return new JobStream(new NativeJob('delta', { signature: sig.native }), true, options);
}

export interface PatchStreamOptions extends JobStreamOptions {
  /** Fail with RS_OUTPUT_LIMIT once the output would exceed this many bytes (delta bombs). */
  maxOutput?: number;
}

export type PatchBasis = string | number | Uint8Array | FileHandle;

/** Patch output is often far larger than its input (COPY commands): bigger buffers, fewer hops. */
const PATCH_OUTPUT_CHUNK = 1 << 20;

/** delta bytes → new file, copying from `basis` (a path, an fd, a FileHandle or bytes). */
export function patch(basis: PatchBasis, options: PatchStreamOptions = {}): JobStream {
  const maxOutput = options.maxOutput;
  options = { outputChunkSize: PATCH_OUTPUT_CHUNK, ...options };
  if (maxOutput !== undefined && (!Number.isSafeInteger(maxOutput) || maxOutput < 0)) {
    throw paramError('maxOutput must be a non-negative integer');
  }
  if (basis instanceof Uint8Array) {
    return new JobStream(new NativeJob('patch', { basisBuffer: basis, maxOutput }), true, options);
  }
  if (typeof basis === 'number') {
    if (!Number.isSafeInteger(basis) || basis < 0) throw paramError('basis file descriptor must be a non-negative integer');
    return new JobStream(new NativeJob('patch', { basisFd: basis, maxOutput }), true, options);
  }
  if (typeof basis === 'string') {
    // The job keeps its own duplicate of the descriptor; ours closes at once.
    const opening = (async () => {
      const handle = await open(basis, 'r');
      try {
        return new NativeJob('patch', { basisFd: handle.fd, maxOutput });
      } finally {
        await handle.close();
      }
    })();
    opening.catch(() => undefined); // reported through the stream
    return new JobStream(opening, true, options);
  }
  if (basis && typeof (basis as FileHandle).fd === 'number') {
    return new JobStream(new NativeJob('patch', { basisFd: (basis as FileHandle).fd, maxOutput }), true, options);
  }
  throw paramError('patch basis must be a file path, a file descriptor, a FileHandle or a Buffer');
}

export interface LoadSignatureOptions {
  signal?: AbortSignal;
}

/** Reads and indexes a signature (a path, bytes or a stream) for delta(). */
export async function loadSignature(source: ByteSource | SignatureSet, options: LoadSignatureOptions = {}): Promise<SignatureSet> {
  if (source instanceof SignatureSet) return source;
  const job = new NativeJob('loadsig');
  const stream = new JobStream(job, false, { signal: options.signal });
  stream.resume();
  await pipeline(toReadable(source), stream, { signal: options.signal });
  return new SignatureSet(job.takeSignature());
}
