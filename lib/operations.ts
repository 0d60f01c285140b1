// The public stream factories: signature, delta and patch as Transforms
// over a job of the chosen backend, and loadSignature.
import { FileHandle, open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { BackendOption, resolveBackend } from './backend';
import { ConcurrencyOption, resolveConcurrency } from './concurrency';
import { ByteSource, toReadable } from './byte-source';
import { paramError } from './errors';
import { Job } from './job';
import { JobStream, JobStreamOptions } from './job-stream';
import { BASIS_OPEN_FLAGS, FileBasis, MemoryBasis } from './js/basis-source';
import { JsDeltaJob } from './js/js-delta-job';
import { JsLoadSignatureJob } from './js/js-loadsig-job';
import { JsPatchJob } from './js/js-patch-job';
import { JsSignatureJob } from './js/js-signature-job';
import { NativeJob } from './native-job';
import { ParallelSignatureJob } from './parallel-signature-job';
import { MAX_PARALLEL_BLOCK, ParallelDeltaJob } from './parallel-delta-job';
import { linkedLiteralLimit } from './literal-limit';
import { SignatureOptions, resolveSignatureParams } from './signature-params';
import { SignatureSet } from './signature-set';

export type SignatureStreamOptions = SignatureOptions & JobStreamOptions & BackendOption & ConcurrencyOption;

/** Reported through the stream rather than thrown here. */
function deferred(job: Promise<Job>): Promise<Job> {
  job.catch(() => undefined);
  return job;
}

/** basis bytes → signature. */
export function signature(options: SignatureStreamOptions = {}): JobStream {
  const params = resolveSignatureParams(options);
  const concurrency = resolveConcurrency(options.concurrency);
  let job: Job | Promise<Job>;
  if (resolveBackend(options.backend) !== 'native') job = deferred(JsSignatureJob.create({ ...params, concurrency }));
  else if (concurrency > 1) job = new ParallelSignatureJob(params, concurrency);
  else job = new NativeJob('signature', params);
  return new JobStream(job, true, options);
}

export type DeltaStreamOptions = JobStreamOptions & BackendOption & ConcurrencyOption;

/** new file bytes → delta against `sig` (on the backend that loaded it). */
export function delta(sig: SignatureSet, options: DeltaStreamOptions = {}): JobStream {
  if (!(sig instanceof SignatureSet)) throw paramError('delta() needs a SignatureSet from loadSignature()');
  const backend = options.backend === undefined ? sig.backend : resolveBackend(options.backend);
  // The job holds its own reference: closing the set later does not affect it.
  const concurrency = resolveConcurrency(options.concurrency);
  let job: Job;
  if (backend !== 'native') job = new JsDeltaJob(sig.js);
  // With no blocks to match librsync writes a "slack" delta, which follows
  // the input's slicing: that one stays serial.
  else if (concurrency > 1 && sig.blockCount > 0 && sig.blockLength <= MAX_PARALLEL_BLOCK) job = new ParallelDeltaJob(sig.native, concurrency, linkedLiteralLimit());
  else job = new NativeJob('delta', { signature: sig.native });
  return new JobStream(job, true, options);
}

export interface PatchStreamOptions extends JobStreamOptions, BackendOption {
  /** Fail with RS_OUTPUT_LIMIT once the output would exceed this many bytes (delta bombs). */
  maxOutput?: number;
}

export type PatchBasis = string | number | Uint8Array | FileHandle;

/** Patch output is often far larger than its input (COPY commands): bigger buffers, fewer hops. */
const PATCH_OUTPUT_CHUNK = 1 << 20;

/**
 * delta bytes → new file, copying from `basis` (a path, an fd, a FileHandle
 * or bytes). A descriptor is duplicated: the caller may close theirs.
 */
export function patch(basis: PatchBasis, options: PatchStreamOptions = {}): JobStream {
  const maxOutput = options.maxOutput;
  if (maxOutput !== undefined && (!Number.isSafeInteger(maxOutput) || maxOutput < 0)) {
    throw paramError('maxOutput must be a non-negative integer');
  }
  const streamOptions = { outputChunkSize: PATCH_OUTPUT_CHUNK, ...options };
  const native = resolveBackend(options.backend) === 'native';

  if (basis instanceof Uint8Array) {
    const job = native ? new NativeJob('patch', { basisBuffer: basis, maxOutput }) : new JsPatchJob(new MemoryBasis(basis), maxOutput);
    return new JobStream(job, true, streamOptions);
  }
  let fd: number | undefined;
  if (typeof basis === 'number') {
    if (!Number.isSafeInteger(basis) || basis < 0) throw paramError('basis file descriptor must be a non-negative integer');
    fd = basis;
  } else if (basis && typeof basis !== 'string' && typeof (basis as FileHandle).fd === 'number') {
    fd = (basis as FileHandle).fd;
  }
  if (fd !== undefined) {
    const job = native ? new NativeJob('patch', { basisFd: fd, maxOutput }) : new JsPatchJob(FileBasis.fromFd(fd), maxOutput);
    return new JobStream(job, true, streamOptions);
  }
  if (typeof basis === 'string') {
    if (!native) return new JobStream(deferred(FileBasis.open(basis).then((source) => new JsPatchJob(source, maxOutput))), true, streamOptions);
    // The job keeps its own duplicate of the descriptor; ours closes at once.
    const opening = (async () => {
      const handle = await open(basis, BASIS_OPEN_FLAGS);
      try {
        return new NativeJob('patch', { basisFd: handle.fd, maxOutput });
      } finally {
        await handle.close();
      }
    })();
    return new JobStream(deferred(opening), true, streamOptions);
  }
  throw paramError('patch basis must be a file path, a file descriptor, a FileHandle or a Buffer');
}

export interface LoadSignatureOptions extends BackendOption {
  signal?: AbortSignal;
}

/** Reads and indexes a signature (a path, bytes or a stream) for delta(). */
export async function loadSignature(source: ByteSource | SignatureSet, options: LoadSignatureOptions = {}): Promise<SignatureSet> {
  if (source instanceof SignatureSet) return source;
  const native = resolveBackend(options.backend) === 'native';
  const job = native ? new NativeJob('loadsig') : new JsLoadSignatureJob();
  const stream = new JobStream(job, false, { signal: options.signal });
  stream.resume();
  await pipeline(toReadable(source), stream, { signal: options.signal });
  return new SignatureSet(job instanceof NativeJob ? job.takeSignature() : job.takeSignature());
}
