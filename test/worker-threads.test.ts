// The addon is context-aware: it loads in worker threads, works there, and
// a worker that exits (or is terminated) with jobs in flight frees them
// without taking the process down.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { signatureBuffer } from '../lib';
import { describeEachBackend, describeNative } from './support/requirements';

const dist = join(__dirname, '..', 'dist', 'index.js');

function runWorker(source: string, terminateAfterMs?: number): Promise<{ message?: string; code: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { dist } });
    let message: string | undefined;
    worker.on('message', (m: string) => {
      message = m;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ message, code }));
    if (terminateAfterMs !== undefined) setTimeout(() => void worker.terminate(), terminateAfterMs);
  });
}

describeEachBackend('worker_threads', () => {
  const data = Buffer.alloc(3 << 20, 'worker threads ');

  it('computes the same signature in a worker as on the main thread', async () => {
    const expected = (await signatureBuffer(data)).toString('hex');
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        runWorker(`
          const { parentPort, workerData } = require('node:worker_threads');
          const lib = require(workerData.dist);
          lib.signatureBuffer(Buffer.alloc(${data.length}, 'worker threads ')).then((sig) => parentPort.postMessage(sig.toString('hex')));
        `),
      ),
    );
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.message).toBe(expected);
    }
  });

  it('survives workers terminated with jobs in flight', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await runWorker(
        `
        const { parentPort, workerData } = require('node:worker_threads');
        const lib = require(workerData.dist);
        const big = Buffer.alloc(64 << 20, 7);
        parentPort.postMessage('started');
        for (let j = 0; j < 4; j++) lib.signatureBuffer(big, { hash: 'md4' });
      `,
        20 + i * 15,
      );
      expect([0, 1]).toContain(r.code);
    }
    // The process is still healthy.
    expect((await signatureBuffer(Buffer.from('still alive'))).length).toBeGreaterThan(12);
  });

  it('lets a worker exit on its own while a job is still running', async () => {
    const r = await runWorker(`
      const { workerData } = require('node:worker_threads');
      const lib = require(workerData.dist);
      lib.signatureBuffer(Buffer.alloc(32 << 20, 1));
      setTimeout(() => process.exit(0), 5);
    `);
    expect(r.code).toBe(0);
  });
});

describeNative('native SignatureSets made in several threads at once', () => {
  // The addon handed each new set to its JS wrapper through one
  // process-wide variable: two threads making sets at the same moment
  // could swap them (a thread got another's signature) or leave one
  // without (an untyped TypeError). Found by the soak (soak-streams.test.ts).
  it('every thread gets back the set it loaded, and no error', async () => {
    const source = (blockLength: number) => `
      const { parentPort, workerData } = require('node:worker_threads');
      const lib = require(workerData.dist);
      (async () => {
        // A header and one entry: the set says which thread's signature it is.
        const sig = Buffer.alloc(12 + 36);
        sig.writeUInt32BE(0x72730147, 0);
        sig.writeUInt32BE(${blockLength}, 4);
        sig.writeUInt32BE(32, 8);
        let loads = 0, wrong = 0, errors = [];
        const until = Date.now() + 1500;
        while (Date.now() < until) {
          await Promise.all(Array.from({ length: 8 }, async () => {
            try {
              const set = await lib.loadSignature(sig, { backend: 'native' });
              if (set.blockLength !== ${blockLength} || set.blockCount !== 1) wrong++;
              set.close();
            } catch (err) {
              if (errors.length < 3) errors.push(String(err));
            }
            loads++;
          }));
        }
        parentPort.postMessage(JSON.stringify({ loads, wrong, errors }));
      })();
    `;
    const results = await Promise.all([1001, 1002, 1003, 1004].map((blockLength) => runWorker(source(blockLength))));
    for (const r of results) {
      expect(r.code).toBe(0);
      const { loads, wrong, errors } = JSON.parse(r.message!) as { loads: number; wrong: number; errors: string[] };
      expect({ wrong, errors }).toEqual({ wrong: 0, errors: [] });
      expect(loads).toBeGreaterThan(100);
    }
  });
});
