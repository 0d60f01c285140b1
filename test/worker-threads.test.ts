// The addon is context-aware: it loads in worker threads, works there, and
// a worker that exits (or is terminated) with jobs in flight frees them
// without taking the process down.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { signatureBuffer } from '../lib';
import { describeEachBackend } from './support/requirements';

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
