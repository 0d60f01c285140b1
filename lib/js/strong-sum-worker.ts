// A worker thread that computes the strong sums of batches of blocks, so
// a signature uses both cores: the main thread reads the input and rolls
// the weak sums while the worker hashes. One worker per process, started
// on first use, referenced only while it has work (it never keeps the
// process alive); if it cannot start or dies, callers hash inline. Batches
// live on SharedArrayBuffers: the worker reads them in place, and the
// caller still has a batch (to hash itself) if the worker dies with it.
import { Worker } from 'node:worker_threads';
import { StrongHash } from '../magic';

export interface StrongSumBatch {
  hash: StrongHash;
  /**
   * Blocks back to back; every block is blockLength long except possibly
   * the last. On a SharedArrayBuffer it is not copied; it must not change
   * until the sums are back.
   */
  data: Uint8Array;
  blockLength: number;
  strongLength: number;
}

// Plain JavaScript, evaluated in the worker: it loads hash-wasm from the
// path this package resolved, so it works wherever the package is installed.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hashWasm = require(workerData.hashWasm);
const hashers = { md4: hashWasm.createMD4(), blake2: hashWasm.createBLAKE2b(256) };
parentPort.on('message', async ({ id, hash, data, blockLength, strongLength }) => {
  try {
    const hasher = await hashers[hash];
    const count = Math.ceil(data.length / blockLength);
    const sums = new Uint8Array(count * strongLength);
    for (let i = 0, at = 0; i < count; i++, at += blockLength) {
      hasher.init();
      hasher.update(data.subarray(at, Math.min(data.length, at + blockLength)));
      sums.set(hasher.digest('binary').subarray(0, strongLength), i * strongLength);
    }
    parentPort.postMessage({ id, sums }, [sums.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack || err) });
  }
});
`;

interface Pending {
  resolve(sums: Uint8Array): void;
  reject(err: Error): void;
}

class StrongSumWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  broken = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { hashWasm: require.resolve('hash-wasm') } });
    this.worker.unref();
    this.worker.on('message', (message: { id: number; sums?: Uint8Array; error?: string }) => {
      const request = this.pending.get(message.id);
      if (!request) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.sums) request.resolve(message.sums);
      else request.reject(new Error(`strong sum worker: ${message.error}`));
    });
    const fail = (err: Error): void => {
      this.broken = true;
      for (const request of this.pending.values()) request.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`strong sum worker exited with code ${code}`)));
  }

  /** The sums of every block in the batch: strongLength bytes per block. */
  sums(batch: StrongSumBatch): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      const { hash, data, blockLength, strongLength } = batch;
      this.worker.postMessage({ id, hash, data, blockLength, strongLength });
    });
  }
}

let shared: StrongSumWorker | undefined;
/** Workers that died; after a few we stop starting new ones. */
let failures = 0;
const MAX_FAILURES = 3;

/** The process's strong sum worker, or undefined where worker threads cannot be used. */
export function strongSumWorker(): StrongSumWorker | undefined {
  if (shared && !shared.broken) return shared;
  if (shared) failures++;
  shared = undefined;
  if (failures >= MAX_FAILURES) return undefined;
  try {
    shared = new StrongSumWorker();
    return shared;
  } catch {
    failures = MAX_FAILURES;
    return undefined;
  }
}
