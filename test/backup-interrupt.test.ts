// Ctrl-C (SIGINT) and SIGTERM while a backup reads many small files ahead:
// the documented exit status (130 / 143) and one line saying so, never a
// crash with a stack trace; nothing committed, the lock released, no
// temporary file left; and the next backup runs.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { list } from '../lib/backup';
import { CLI_PATH, runCli } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';

interface Interrupted {
  status: number | null;
  stderr: string;
  filesBefore: number;
}

/** Starts a backup with progress, sends `signal` once `files` paths are done, and collects the outcome. */
function interruptAt(args: string[], cwd: string, signal: NodeJS.Signals, files: number): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args, '--progress'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    let filesBefore = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const counts = [...stderr.matchAll(/(\d+) files/g)].map((m) => Number(m[1]));
      filesBefore = counts.length ? counts[counts.length - 1] : 0;
      if (!sent && filesBefore >= files) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr, filesBefore }));
  });
}

describeNative('interrupting a backup of many small files', () => {
  const scratch = scratchDir('librsync-backup-interrupt-');
  const src = scratch.path('src');
  afterAll(() => scratch.remove());

  beforeAll(() => {
    for (let d = 0; d < 15; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(src, `d${d}`, `f${f}`), randomBytesSeeded(20_000, d * 100 + f + 1));
    }
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} while small files are read ahead exits ${status}, releases the lock and leaves nothing behind`, async () => {
      const store = scratch.path(`store-${signal}`);
      for (const files of [1, 100, 300, 600, 900, 1200]) {
        const run = await interruptAt(['backup', src, store, '--name', 'n', '--level', '0'], scratch.dir, signal, files);
        const where = `${signal} after ${run.filesBefore} files`;
        expect({ where, status: run.status }).toEqual({ where, status });
        expect({ where, crashed: /Unhandled|\n\s+at /.test(run.stderr) }).toEqual({ where, crashed: false });
        expect(run.stderr).toContain(`interrupted by ${signal}`);
        expect({ where, left: readdirSync(store, { recursive: true, encoding: 'utf8' }).filter((p) => p === 'lock' || p.endsWith('.tmp')) }).toEqual({ where, left: [] });
      }
      expect((await list(store, {})).names).toEqual([]);
      const next = runCli(['backup', src, store, '--name', 'n', '--json'], { cwd: scratch.dir });
      expect(next.status).toBe(0);
    }, 300_000);
  }
});
