// Worker threads that compute signature entries (each block's weak sum
// and strong sum) for ranges of blocks, so a js signature runs on several
// cores: the main thread only gathers blocks and writes the entries out.
// A process-wide pool, grown to the largest concurrency asked for, started
// on first use and referenced only while it has work (it never keeps the
// process alive). If a worker cannot start or dies, callers compute its
// range inline. Batches live on SharedArrayBuffers: workers read them in
// place, and the caller still has a batch (to hash itself) if one dies.
import { Worker } from 'node:worker_threads';
import { RollingHash, StrongHash } from '../magic';
import { rabinKarpUpdate, rollsumUpdate } from './weak-sum';

export interface EntriesBatch {
  hash: StrongHash;
  rolling: RollingHash;
  /**
   * Blocks back to back; every block is blockLength long except possibly
   * the last. On a SharedArrayBuffer it is not copied; it must not change
   * until the entries are back.
   */
  data: Uint8Array;
  blockLength: number;
  strongLength: number;
}

type SumOf = (data: Uint8Array, start: number, end: number) => number;
type DigestOf = (data: Uint8Array, start: number, end: number) => Uint8Array;

/**
 * The signature entries of the blocks in `data`: 4 big-endian bytes of
 * weak sum, then strongLength bytes of strong sum, per block. No reference
 * outside its body: the workers evaluate its source too.
 */
export function signatureEntries(data: Uint8Array, blockLength: number, strongLength: number, weakOf: SumOf, strongOf: DigestOf): Uint8Array {
  const size = 4 + strongLength;
  const count = Math.ceil(data.length / blockLength);
  const out = new Uint8Array(count * size);
  for (let at = 0, o = 0; o < out.length; at += blockLength, o += size) {
    const end = data.length - at > blockLength ? at + blockLength : data.length;
    const weak = weakOf(data, at, end);
    out[o] = weak >>> 24;
    out[o + 1] = (weak >>> 16) & 0xff;
    out[o + 2] = (weak >>> 8) & 0xff;
    out[o + 3] = weak & 0xff;
    out.set(strongOf(data, at, end).subarray(0, strongLength), o + 4);
  }
  return out;
}

/** A block's weak sum, as a signature stores it. */
export const weakSumOf: Record<RollingHash, SumOf> = {
  rabinkarp: (data, start, end) => rabinKarpUpdate(1, data, start, end) >>> 0,
  rollsum: (data, start, end) => rollsumUpdate(0, data, start, end),
};

// Plain JavaScript, evaluated in the worker: the functions above from
// their own source, and hash-wasm from the path this package resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hashWasm = require(workerData.hashWasm);
const rabinKarpUpdate = ${rabinKarpUpdate.toString()};
const rollsumUpdate = ${rollsumUpdate.toString()};
const signatureEntries = ${signatureEntries.toString()};
const weakSumOf = {
  rabinkarp: (data, start, end) => rabinKarpUpdate(1, data, start, end) >>> 0,
  rollsum: (data, start, end) => rollsumUpdate(0, data, start, end),
};
const hashers = { md4: hashWasm.createMD4(), blake2: hashWasm.createBLAKE2b(256) };
parentPort.on('message', async ({ id, hash, rolling, data, blockLength, strongLength }) => {
  try {
    const hasher = await hashers[hash];
    const strongOf = (bytes, start, end) => {
      hasher.init();
      hasher.update(bytes.subarray(start, end));
      return hasher.digest('binary');
    };
    const entries = signatureEntries(data, blockLength, strongLength, weakSumOf[rolling], strongOf);
    parentPort.postMessage({ id, entries }, [entries.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack || err) });
  }
});
`;

interface Pending {
  resolve(entries: Uint8Array): void;
  reject(err: Error): void;
}

class SignatureWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  broken = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { hashWasm: require.resolve('hash-wasm') } });
    this.worker.unref();
    this.worker.on('message', (message: { id: number; entries?: Uint8Array; error?: string }) => {
      const request = this.pending.get(message.id);
      if (!request) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.entries) request.resolve(message.entries);
      else request.reject(new Error(`signature worker: ${message.error}`));
    });
    const fail = (err: Error): void => {
      this.broken = true;
      for (const request of this.pending.values()) request.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`signature worker exited with code ${code}`)));
  }

  /** The entries of every block in the batch (see signatureEntries). */
  entries(batch: EntriesBatch): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      const { hash, rolling, data, blockLength, strongLength } = batch;
      this.worker.postMessage({ id, hash, rolling, data, blockLength, strongLength });
    });
  }
}

const pool: SignatureWorker[] = [];
/** Workers that died or would not start; after a few we stop starting new ones. */
let failures = 0;
const MAX_FAILURES = 3;

/**
 * Up to `count` live workers of the process's pool (fewer, or none, where
 * worker threads cannot be used). Dead ones are replaced.
 */
export function signatureWorkers(count: number): SignatureWorker[] {
  for (let i = 0; i < count; i++) {
    if (pool[i] && !pool[i].broken) continue;
    if (pool[i]) failures++;
    if (failures >= MAX_FAILURES) return pool.slice(0, i).filter((worker) => !worker.broken);
    try {
      pool[i] = new SignatureWorker();
    } catch {
      failures = MAX_FAILURES;
      return pool.slice(0, i);
    }
  }
  return pool.slice(0, count);
}
