// Restore makes files durable in batches (one syncfs per batch, not an
// fsync per file) and still puts each at its path only complete:
// - SyncBatch: files wait for their batch's flush (by count or by time),
//   and a failed flush fails every file of its batch;
// - AtomicFileWriter with a batch: the file is not at its path before the
//   flush, and is complete with its metadata once the writer finishes;
// - restores of a tree of small files killed with SIGKILL at seeded random
//   moments: every file at its final path is exactly the backed-up one
//   (content, mode, mtime), and the next restore completes the tree.
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { AtomicFileWriter } from '../lib/atomic-file';
import { backup, restore } from '../lib/backup';
import { SyncBatch } from '../lib/sync-batch';
import { CLI_PATH } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { prng } from './support/rsync';
import { snapshotTree } from './support/tree-snapshot';

const SEED = Number(process.env.LIBRSYNC_CRASH_SEED ?? 20261202);
const KILLS = 6;

async function killAfter(args: string[], ms: number): Promise<{ killed: boolean; status: number | null; elapsed: number }> {
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [CLI_PATH, ...args], { stdio: 'ignore' });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [status, signal] = await exited;
  clearTimeout(timer);
  return { killed: signal === 'SIGKILL', status, elapsed: Date.now() - started };
}

describe('SyncBatch', () => {
  const scratch = scratchDir('librsync-syncbatch-');
  afterAll(() => scratch.remove());

  it('flushes once maxFiles wait, or after the delay', async () => {
    const batch = new SyncBatch(3, 3000);
    const handles = await Promise.all([0, 1, 2, 3].map((i) => open(scratch.path(`b${i}`), 'w')));
    const device = statSync(scratch.dir).dev;
    const done: number[] = [];
    const started = Date.now();
    const waits = handles.map((h, i) => batch.sync(h, device).then(() => done.push(i)));
    await Promise.all(waits.slice(0, 3));
    // The first three went as soon as they were three; the fourth waits for the timer.
    expect(done.sort()).toEqual([0, 1, 2]);
    expect(Date.now() - started).toBeLessThan(3000);
    await waits[3];
    expect(done).toEqual([0, 1, 2, 3]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2990);
    await Promise.all(handles.map((h) => h.close()));
  });

  it('fails every file of a batch whose flush fails', async () => {
    const batch = new SyncBatch(2, 1000);
    const handle = await open(scratch.path('closed'), 'w');
    const other = await open(scratch.path('open'), 'w');
    await handle.close(); // its descriptor is gone: the flush through it fails
    const device = statSync(scratch.dir).dev;
    const results = await Promise.allSettled([batch.sync(handle, device), batch.sync(other, device)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.code).toBe('EBADF');
    await other.close();
  });

  it('an AtomicFileWriter with a batch appears at its path only after the flush, complete and with its metadata', async () => {
    const batch = new SyncBatch(2, 60_000);
    const device = statSync(scratch.dir).dev;
    const paths = [scratch.path('w0'), scratch.path('w1')];
    const bytes = [randomBytesSeeded(3000, 1), randomBytesSeeded(100, 2)];
    const writers = paths.map(
      (p) => new AtomicFileWriter(p, { mode: 0o600, syncBatch: { batch, device }, beforeRename: async (t) => chmodSync(t, 0o640) }),
    );
    const first = pipeline(Readable.from([bytes[0]]), writers[0]);
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(paths[0])).toBe(false); // written, waiting for a batch of two
    await Promise.all([first, pipeline(Readable.from([bytes[1]]), writers[1])]);
    for (let i = 0; i < 2; i++) {
      expect(statSync(paths[i]).mode & 0o777).toBe(0o640);
      expect(readFileSync(paths[i]).equals(bytes[i])).toBe(true);
    }
    expect(readdirSync(scratch.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describeNative('restores of many small files killed with SIGKILL', () => {
  const scratch = scratchDir('librsync-batched-restore-');
  afterAll(() => scratch.remove());
  const random = prng(SEED);
  const src = scratch.path('src');
  const store = scratch.path('store');

  it('leave at each final path only the complete file, and the next restore completes the tree', async () => {
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 300; f++) {
        const path = join(src, `d${d}`, `f${f}`);
        writeFileSync(path, randomBytesSeeded(256 + ((d * 300 + f) * 7919) % 3840, d * 1000 + f + 1));
        chmodSync(path, f % 3 === 0 ? 0o600 : 0o644);
        utimesSync(path, 1_600_000_000 + f, 1_600_000_000 + f);
      }
    }
    await backup(src, store, { name: 'small' });
    const source = snapshotTree(src);
    const target = scratch.path('target');
    const started = Date.now();
    expect((await killAfter(['restore', store, scratch.path('timing')], 300_000)).status).toBe(0);
    const span = Date.now() - started;
    let killed = 0;
    let partial = 0;
    for (let trial = 0; killed < KILLS && trial < 3 * KILLS; trial++) {
      rmSync(target, { recursive: true, force: true });
      const ms = Math.floor(span * (0.3 + random(0.65)));
      const outcome = await killAfter(['restore', store, target], ms);
      if (!outcome.killed) continue;
      killed++;
      const where = `trial ${trial}, killed after ${ms} ms`;
      const now = snapshotTree(target);
      const files = Object.entries(now).filter(([p, s]) => s.type === 'file' && !p.startsWith('.librsync-restore-'));
      if (files.length > 0 && files.length < 3000) partial++;
      for (const [path, state] of files) {
        expect({ where, path, state }).toEqual({ where, path, state: source[path] });
      }
      await restore(store, target, { overwrite: true });
      expect({ where, tree: snapshotTree(target, { skipRootTime: true }) }).toEqual({ where, tree: snapshotTree(src, { skipRootTime: true }) });
      const leftovers = readdirSync(target, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.librsync-restore-') || p.endsWith('.tmp'));
      expect({ where, leftovers }).toEqual({ where, leftovers: [] });
    }
    expect(killed).toBe(KILLS);
    // The kills landed while files were being placed, not only before or after.
    expect(partial).toBeGreaterThanOrEqual(2);
  }, 900_000);
});
