// Engine soak: two processes share one store for a bounded time, each
// running at once backups of two names (some aborted mid-way), restores
// (each compared with its source as backed up; some aborted), verifies,
// prunes and lists. No operation may hang, fail in an unexpected way or
// restore a wrong tree; verify must never see damage; the only refusals
// are typed (BACKUP_LOCKED, BACKUP_NOT_FOUND before the first backup);
// and memory after a warm-up stays put. LIBRSYNC_SOAK_SECONDS runs longer.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDirectoryStore, verify } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

const SECONDS = Number(process.env.LIBRSYNC_SOAK_SECONDS ?? 20);
const PROCESSES = 2;
/** RSS growth over the second half of the run, after a GC: 100-s runs here grew 2 to 8 MiB. */
const RSS_GROWTH_LIMIT = 48 << 20;

interface SoakReport {
  outcomes: Record<string, Record<string, number>>;
  unexpected: { op: string; code?: string; message: string }[];
  rss?: { warm?: number; end: number };
}

describeNative('engine soak: backups, restores, verifies, prunes and lists on one store at once', () => {
  const scratch = scratchDir('librsync-engine-soak-');
  afterAll(() => scratch.remove());

  it(`runs ${PROCESSES} processes for ${SECONDS} s with exact restores, typed refusals and steady memory`, async () => {
    const store = scratch.path('store');
    // Made first: readers started before any backup would rightly find no store yet.
    await new LocalDirectoryStore(store).open({ create: true });
    const runs = Array.from({ length: PROCESSES }, async (_, i) => {
      const work = scratch.path(`work-${i}`);
      mkdirSync(work);
      const child = spawn(process.execPath, ['--expose-gc', join(__dirname, 'support', 'engine-soak.js'), join(__dirname, '..', 'dist'), store, work, String(SECONDS), String(1000 + i), String(i)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), SECONDS * 1000 + 180_000);
      const [status] = await once(child, 'exit');
      clearTimeout(timer);
      expect(status).toBe(0);
      return JSON.parse(out.trim().split('\n').pop()!) as SoakReport;
    });
    const reports = await Promise.all(runs);
    const total: Record<string, Record<string, number>> = {};
    for (const r of reports) for (const [op, counts] of Object.entries(r.outcomes)) for (const [k, v] of Object.entries(counts)) ((total[op] ??= {})[k] = (total[op][k] ?? 0) + v);
    process.stdout.write(`engine soak (${SECONDS} s x ${PROCESSES}): ${JSON.stringify(total)}; RSS MiB ${reports.map((r) => `${((r.rss?.warm ?? 0) / 2 ** 20).toFixed(0)} -> ${((r.rss?.end ?? 0) / 2 ** 20).toFixed(0)}`).join(', ')}\n`);
    expect(reports.flatMap((r) => r.unexpected)).toEqual([]);
    for (const [op, least] of [['backup', 6], ['restore', 4], ['verify', 3], ['prune', 2], ['list', 4]] as const) {
      expect({ op, ok: (total[op]?.ok ?? 0) >= least }).toEqual({ op, ok: true });
    }
    for (const r of reports) expect(r.rss!.end - r.rss!.warm!).toBeLessThan(RSS_GROWTH_LIMIT);
    // What is left verifies: nothing was damaged by all of it.
    expect((await verify(store, {})).ok).toBe(true);
  }, (SECONDS + 240) * 1000);
});
