// Helpers shared by the compatibility / robustness suites: running rdiff,
// driving streams with controlled chunking, building deltas by hand and
// checking typed errors.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LibrsyncError } from '../../lib';
import { readBytes, rdiff } from './files';

export type Hash = 'blake2' | 'md4';
export type Roll = 'rabinkarp' | 'rollsum';

export interface SigOpts {
  hash?: Hash;
  rollsum?: Roll;
  blockLength?: number;
  strongLength?: number;
}

export const ALL_MAGICS: { hash: Hash; rollsum: Roll; magic: number }[] = [
  { hash: 'md4', rollsum: 'rollsum', magic: 0x72730136 },
  { hash: 'blake2', rollsum: 'rollsum', magic: 0x72730137 },
  { hash: 'md4', rollsum: 'rabinkarp', magic: 0x72730146 },
  { hash: 'blake2', rollsum: 'rabinkarp', magic: 0x72730147 },
];

/** rdiff options equivalent to our signature options (omitted = rdiff's default). */
export function rdiffSigArgs(o: SigOpts = {}): string[] {
  const args: string[] = [];
  if (o.hash !== undefined) args.push('-H', o.hash);
  if (o.rollsum !== undefined) args.push('-R', o.rollsum);
  if (o.blockLength !== undefined) args.push('-b', String(o.blockLength));
  if (o.strongLength !== undefined) args.push('-S', String(o.strongLength));
  return args;
}

/** `rdiff signature` of a file on disk; returns the signature bytes (also left at sigPath). */
export function rdiffSignature(basisPath: string, sigPath: string, o: SigOpts = {}): Buffer {
  rdiff('-f', ...rdiffSigArgs(o), 'signature', basisPath, sigPath);
  return readBytes(sigPath);
}

/** `rdiff signature` reading the basis from a pipe (size unknown to rdiff). */
export function rdiffSignatureFromPipe(data: Buffer, o: SigOpts = {}): Buffer {
  const r = spawnSync('rdiff', [...rdiffSigArgs(o), 'signature'], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`rdiff signature (pipe) failed: ${r.status} ${String(r.stderr)}`);
  return r.stdout;
}

export function rdiffDelta(sigPath: string, newPath: string, deltaPath: string): Buffer {
  rdiff('-f', 'delta', sigPath, newPath, deltaPath);
  return readBytes(deltaPath);
}

export function rdiffPatch(basisPath: string, deltaPath: string, outPath: string): Buffer {
  rdiff('-f', 'patch', basisPath, deltaPath, outPath);
  return readBytes(outPath);
}

/** Runs rdiff and returns its exit status instead of throwing. */
export function rdiffStatus(...args: string[]): number {
  const r = spawnSync('rdiff', args, { maxBuffer: 1 << 30 });
  if (r.status === null) throw new Error(`rdiff died with signal ${r.signal}`);
  return r.status;
}

export function write(path: string, data: Uint8Array): string {
  writeFileSync(path, data);
  return path;
}

/** Splits `data` into chunks of 1..maxChunk bytes, sizes from a seeded xorshift. */
export function seededChunks(data: Buffer, seed: number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let x = seed >>> 0 || 1;
  for (let offset = 0; offset < data.length; ) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const n = 1 + (x % maxChunk);
    chunks.push(data.subarray(offset, offset + n));
    offset += n;
  }
  return chunks;
}

export function byteChunks(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i++) chunks.push(data.subarray(i, i + 1));
  return chunks;
}

/** A seeded PRNG returning integers in [0, n). */
export function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** Writes the chunks one by one (each chunk is one write()) into `stream`, collects its output. */
export async function runChunks(stream: Duplex, chunks: Buffer[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  // objectMode keeps every chunk exactly as given (no coalescing).
  await pipeline(Readable.from(chunks, { objectMode: true }), stream, sink);
  return Buffer.concat(parts);
}

/** Everything a stream outputs, once it ends (for streams written to by hand). */
export function collectOutput(stream: Duplex): Promise<Buffer> {
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  return new Promise<Buffer>((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/** Rejects with a clear message when `p` does not settle within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what} (hang?)`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Awaits a promise that must reject with a LibrsyncError of `code`; returns the error. */
export async function expectLibrsyncError(p: Promise<unknown>, code: string): Promise<LibrsyncError> {
  const outcome = await p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a LibrsyncError ${code}, but the operation succeeded`);
  const err = outcome.error as LibrsyncError;
  if (!(err instanceof LibrsyncError)) {
    throw new Error(`expected a LibrsyncError ${code}, got ${String((err as Error)?.name)}: ${String((err as Error)?.message)} (code ${String((err as { code?: unknown })?.code)})`);
  }
  expect(err.code).toBe(code);
  return err;
}

/** Calls fn, which must throw a LibrsyncError of `code` synchronously. */
export function expectSyncLibrsyncError(fn: () => unknown, code: string): LibrsyncError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error(`expected ${code} to be thrown synchronously, nothing was thrown`);
  expect(thrown).toBeInstanceOf(LibrsyncError);
  expect((thrown as LibrsyncError).code).toBe(code);
  return thrown as LibrsyncError;
}

// ---- Hand-built deltas -------------------------------------------------

export const DELTA_MAGIC_BYTES = Buffer.from([0x72, 0x73, 0x02, 0x36]);

function widthIndex(v: number): number {
  if (v <= 0xff) return 0;
  if (v <= 0xffff) return 1;
  if (v <= 0xffffffff) return 2;
  return 3;
}

const WIDTHS = [1, 2, 4, 8];

function beInt(value: number | bigint, width: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b.subarray(8 - width);
}
/** LITERAL command: 0x01-0x40 inline length, else 0x41-0x44 with a 1/2/4/8-byte length. */
export function literalCmd(bytes: Buffer, forceWidth?: number): Buffer {
  if (forceWidth === undefined && bytes.length >= 1 && bytes.length <= 0x40) {
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  }
  const w = forceWidth ?? WIDTHS[widthIndex(bytes.length)];
  return Buffer.concat([Buffer.from([0x41 + WIDTHS.indexOf(w)]), beInt(bytes.length, w), bytes]);
}

/** COPY command with minimal (or forced) widths: 0x45 + (offsetWidthIdx << 2) + lengthWidthIdx. */
export function copyCmd(offset: number | bigint, length: number | bigint, offWidth?: number, lenWidth?: number): Buffer {
  const ow = offWidth ?? WIDTHS[widthIndex(Number(offset))];
  const lw = lenWidth ?? WIDTHS[widthIndex(Number(length))];
  const op = 0x45 + (WIDTHS.indexOf(ow) << 2) + WIDTHS.indexOf(lw);
  return Buffer.concat([Buffer.from([op]), beInt(offset, ow), beInt(length, lw)]);
}

/** Magic + commands + END. */
export function buildDelta(...commands: Buffer[]): Buffer {
  return Buffer.concat([DELTA_MAGIC_BYTES, ...commands, Buffer.from([0])]);
}

/** Signature header bytes. */
export function sigHeader(magic: number, blockLength: number, strongLength: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(magic >>> 0, 0);
  b.writeUInt32BE(blockLength >>> 0, 4);
  b.writeUInt32BE(strongLength >>> 0, 8);
  return b;
}

/** Byte equality with a readable failure message (lengths and first differing offset). */
export function expectSameBytes(actual: Buffer, expected: Buffer, what = 'output'): void {
  if (actual.equals(expected)) return;
  let i = 0;
  const n = Math.min(actual.length, expected.length);
  while (i < n && actual[i] === expected[i]) i++;
  const around = (b: Buffer): string => b.subarray(Math.max(0, i - 4), i + 12).toString('hex');
  throw new Error(
    `${what} differs: got ${actual.length} bytes, expected ${expected.length}; first difference at offset ${i} ` +
      `(got …${around(actual)}…, expected …${around(expected)}…)`,
  );
}
