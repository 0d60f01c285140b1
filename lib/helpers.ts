// Promise helpers over the streams: whole files (outputs written
// atomically) and in-memory Buffers.
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtomicFileWriter } from './atomic-file';
import { ByteSource, FILE_READ_CHUNK, toReadable } from './byte-source';
import { JobStats } from './job';
import { JobStream } from './job-stream';
import {
  DeltaStreamOptions,
  PatchStreamOptions,
  SignatureStreamOptions,
  delta,
  loadSignature,
  patch,
  signature,
} from './operations';
import { SignatureSet } from './signature-set';

export interface OutputFileOptions {
  /** Replace an existing output file (default true). */
  overwrite?: boolean;
}

async function runToFile(input: Readable, job: JobStream, outputPath: string, options: OutputFileOptions & { signal?: AbortSignal }): Promise<JobStats> {
  const output = new AtomicFileWriter(outputPath, { overwrite: options.overwrite });
  try {
    await pipeline(input, job, output, { signal: options.signal });
  } catch (err) {
    await output.settled(); // no temporary file left once we report
    // An abort that came while the output was being renamed into place:
    // the job did complete, and its output is there.
    if (output.committed) return job.stats!;
    throw err;
  }
  return job.stats!;
}

async function runToBuffer(input: Readable, job: JobStream, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, callback) {
      parts.push(chunk);
      length += chunk.length;
      callback();
    },
  });
  await pipeline(input, job, sink, { signal });
  return Buffer.concat(parts, length);
}

/** Writes the signature of the file at basisPath to signaturePath. Block length defaults from the file size. */
export async function signatureFile(
  basisPath: string,
  signaturePath: string,
  options: SignatureStreamOptions & OutputFileOptions = {},
): Promise<JobStats> {
  const handle = await open(basisPath, 'r');
  try {
    const info = await handle.stat();
    const size = options.size ?? (info.isFile() ? info.size : undefined);
    const input = handle.createReadStream({ highWaterMark: FILE_READ_CHUNK, autoClose: false });
    return await runToFile(input, signature({ ...options, size }), signaturePath, options);
  } finally {
    await handle.close();
  }
}

/** Writes the delta of newPath against a signature (a SignatureSet, a path, bytes or a stream). */
export async function deltaFile(
  sig: SignatureSet | ByteSource,
  newPath: string,
  deltaPath: string,
  options: DeltaStreamOptions & OutputFileOptions = {},
): Promise<JobStats> {
  const set = await loadSignature(sig, { signal: options.signal, backend: options.backend });
  try {
    return await runToFile(toReadable(newPath), delta(set, options), deltaPath, options);
  } finally {
    if (set !== sig) set.close();
  }
}

/** Rebuilds the new file from basisPath and deltaPath into outputPath (which may be basisPath itself). */
export async function patchFile(
  basisPath: string,
  deltaPath: string,
  outputPath: string,
  options: PatchStreamOptions & OutputFileOptions = {},
): Promise<JobStats> {
  return runToFile(toReadable(deltaPath), patch(basisPath, options), outputPath, options);
}

export async function signatureBuffer(data: ByteSource, options: SignatureStreamOptions = {}): Promise<Buffer> {
  const size = options.size ?? (data instanceof Uint8Array ? data.byteLength : undefined);
  return runToBuffer(toReadable(data), signature({ ...options, size }), options.signal);
}

export async function deltaBuffer(sig: SignatureSet | ByteSource, data: ByteSource, options: DeltaStreamOptions = {}): Promise<Buffer> {
  const set = await loadSignature(sig, { signal: options.signal, backend: options.backend });
  try {
    return await runToBuffer(toReadable(data), delta(set, options), options.signal);
  } finally {
    if (set !== sig) set.close();
  }
}

export async function patchBuffer(basis: Uint8Array | string, deltaData: ByteSource, options: PatchStreamOptions = {}): Promise<Buffer> {
  return runToBuffer(toReadable(deltaData), patch(basis, options), options.signal);
}
