// A few worker threads that run zstd (see zstd-worker-source.ts), so that
// compressing and decompressing frames never blocks the event loop and
// uses every core. Workers start on first use and are referenced only
// while they have work (an idle pool never keeps the process alive); one
// that dies fails the requests it held and is replaced by the next request.
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LibrsyncError } from '../../errors';
import { frameDamage } from './frame-format';
import { ZSTD_WORKER_SOURCE } from './zstd-worker-source';

/** 'native' (zstd-napi) where it loads, else 'wasm' (@bokuweb/zstd-wasm); a pool may be pinned to either. */
export type ZstdBackend = 'native' | 'wasm';

export interface ZstdTrial {
  level: number;
  bytes: number;
  ratioMax: number;
}

interface Answer {
  id: number;
  kind?: 0 | 1;
  payload?: Uint8Array;
  raw?: Uint8Array;
  damage?: string;
  error?: string;
}

interface Pending {
  resolve(answer: Answer): void;
  reject(err: Error): void;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A copy on an ArrayBuffer of its own, to transfer to a worker (the caller's bytes may share theirs). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** auto's trial: `bytes` (a multiple of 4) from four slices spread over `data` (longer than `bytes`). */
function sampleOf(data: Uint8Array, bytes: number): Uint8Array {
  const slice = bytes >> 2;
  const sample = new Uint8Array(slice * 4);
  for (let i = 0; i < 4; i++) {
    const at = Math.floor((i * (data.length - slice)) / 3);
    sample.set(data.subarray(at, at + slice), i * slice);
  }
  return sample;
}

function optionalResolve(name: string): string | undefined {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

class ZstdWorker {
  private readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  backend: Promise<string>;
  broken = false;

  constructor(workerData: Record<string, unknown>) {
    this.worker = new Worker(ZSTD_WORKER_SOURCE, { eval: true, workerData });
    this.worker.unref();
    let reportBackend: (name: string) => void = () => undefined;
    this.backend = new Promise((resolve) => (reportBackend = resolve));
    this.worker.on('message', (message: Answer & { backend?: string }) => {
      if (message.backend !== undefined) return reportBackend(message.backend);
      const request = this.pending.get(message.id);
      if (!request) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.error !== undefined) request.reject(new LibrsyncError('RS_INTERNAL_ERROR', `zstd worker: ${message.error}`));
      else request.resolve(message);
    });
    const fail = (err: Error): void => {
      this.broken = true;
      reportBackend('none');
      for (const request of this.pending.values()) request.reject(new LibrsyncError('RS_INTERNAL_ERROR', `zstd worker: ${err.message}`, { cause: err }));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
  }

  request(message: Record<string, unknown>, data: Uint8Array): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const id = ZstdWorker.nextId++;
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, id, data }, [data.buffer as ArrayBuffer]);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private static nextId = 0;
}

/**
 * Frames of at most this many raw bytes are (de)compressed on the calling
 * thread with zstd-napi, when it loads: a worker's round trip costs more
 * than zstd takes on them (a few tens of microseconds, a bounded step), and
 * a tree of small files makes one or two such frames a file.
 */
export const INLINE_MAX_BYTES = 16 << 10;

interface InlineCodec {
  compress(src: Uint8Array, level: number): Uint8Array;
  /** Bytes written into dst; throws when the payload is damaged or holds more than dst. */
  decompress(dst: Uint8Array, src: Uint8Array): number;
}

/** zstd-napi on this thread, or undefined where it does not load (the workers then do all of it, natively or in wasm). */
function loadInlineCodec(path: string | undefined): InlineCodec | undefined {
  if (!path) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zstd = require(path) as { CCtx: new () => { compress(d: Uint8Array, s: Uint8Array, level: number): number }; DCtx: new () => { decompress(d: Uint8Array, s: Uint8Array): number }; compressBound(n: number): number };
    const cctx = new zstd.CCtx();
    const dctx = new zstd.DCtx();
    return {
      compress: (src, level) => {
        const dst = Buffer.allocUnsafe(zstd.compressBound(src.length));
        return dst.subarray(0, cctx.compress(dst, src, level));
      },
      decompress: (dst, src) => dctx.decompress(dst, src),
    };
  } catch {
    return undefined;
  }
}

export class ZstdPool {
  /** How many workers at most. */
  readonly size: number;
  private inline: InlineCodec | undefined | null = null;
  private readonly workers: ZstdWorker[] = [];
  private readonly workerData: Record<string, unknown>;

  constructor(options: { size?: number; backend?: ZstdBackend } = {}) {
    this.size = options.size ?? Math.max(1, Math.min(availableParallelism(), 4));
    const wasm = require.resolve('@bokuweb/zstd-wasm');
    this.workerData = {
      backend: options.backend,
      native: optionalResolve('zstd-napi/binding'),
      wasm,
      // Beside its main file: the emscripten module with the raw ZSTD_* calls (capped decompression).
      wasmModule: join(dirname(wasm), 'module.js'),
    };
  }

  /**
   * `raw` compressed at `level`: { kind: 1, payload } when that is shorter
   * than raw, else { kind: 0 } (store it as is). With a trial, a sample is
   * compressed first (only it is copied to a worker), and a frame whose
   * sample does not shrink enough is not compressed.
   */
  async compress(raw: Uint8Array, level: number, trial?: ZstdTrial): Promise<{ kind: 0 } | { kind: 1; payload: Buffer }> {
    const inline = raw.length <= INLINE_MAX_BYTES ? this.inlineCodec() : undefined;
    if (inline) {
      // Small enough to be its own sample: compressed once, kept when it shrinks (by auto's ratio, in auto).
      const packed = inline.compress(raw, level);
      const limit = trial && raw.length <= trial.bytes ? raw.length * trial.ratioMax : raw.length - 1;
      return packed.length <= limit ? { kind: 1, payload: Buffer.from(packed) } : { kind: 0 };
    }
    if (trial && raw.length > trial.bytes) {
      // (The sample is transferred to the worker: its length is gone after.)
      const tried = await this.worker().request({ op: 'compress', level: trial.level }, sampleOf(raw, trial.bytes));
      if (tried.kind !== 1 || tried.payload!.length > trial.bytes * trial.ratioMax) return { kind: 0 };
    }
    const answer = await this.worker().request({ op: 'compress', level }, copyOf(raw));
    if (trial && raw.length <= trial.bytes && answer.kind === 1 && answer.payload!.length > raw.length * trial.ratioMax) return { kind: 0 };
    return answer.kind === 1 && answer.payload ? { kind: 1, payload: asBuffer(answer.payload) } : { kind: 0 };
  }

  /** The rawLength bytes a zstd payload holds; BACKUP_CORRUPT when it is damaged or holds any other number of bytes. */
  async decompress(payload: Uint8Array, rawLength: number): Promise<Buffer> {
    const inline = rawLength <= INLINE_MAX_BYTES ? this.inlineCodec() : undefined;
    if (inline) {
      const raw = Buffer.allocUnsafe(rawLength);
      let written: number;
      try {
        written = inline.decompress(raw, payload);
      } catch (err) {
        throw frameDamage(`zstd: ${(err as Error).message}`);
      }
      if (written !== rawLength) throw frameDamage(`zstd payload holds ${written} bytes, not ${rawLength}`);
      return raw;
    }
    const answer = await this.worker().request({ op: 'decompress', rawLength }, copyOf(payload));
    if (answer.raw) return asBuffer(answer.raw);
    throw frameDamage(answer.damage ?? 'zstd payload could not be decoded');
  }

  /** The codec for small frames on this thread: zstd-napi unless the pool is pinned to wasm or it does not load. */
  private inlineCodec(): InlineCodec | undefined {
    if (this.inline === null) this.inline = this.workerData.backend === 'wasm' ? undefined : loadInlineCodec(this.workerData.native as string | undefined);
    return this.inline;
  }

  /** Which library the workers run ('native' or 'wasm'; 'none' when neither loads). */
  backend(): Promise<string> {
    return this.worker().backend;
  }

  /** Stops every worker (tests; a pool is otherwise never closed). */
  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  /** The least busy worker, starting one while fewer than `size` run and all have work. */
  private worker(): ZstdWorker {
    for (let i = this.workers.length - 1; i >= 0; i--) if (this.workers[i].broken) this.workers.splice(i, 1);
    let best = this.workers[0];
    for (const w of this.workers) if (w.pending.size < best.pending.size) best = w;
    if (best && (best.pending.size === 0 || this.workers.length >= this.size)) return best;
    const started = new ZstdWorker(this.workerData);
    this.workers.push(started);
    return started;
  }
}

let shared: ZstdPool | undefined;
/** The process's pool. */
export function zstdPool(): ZstdPool {
  shared ??= new ZstdPool();
  return shared;
}
