// The twelve lib/backup bugs the fuzzer found (K1-K12: a restore that
// changed a file outside TARGET, a process abort, hangs, untyped errors),
// each replayed as its minimal re-sealed manifest and the call that went
// wrong, in a process of its own: none may come back.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

describeNative('bugs the fuzzer found in the backup engine', () => {
  const scratch = scratchDir('librsync-fuzz-regressions-');
  afterAll(() => scratch.remove());

  it('K1-K12 do not reproduce', () => {
    const run = spawnSync(process.execPath, [join(__dirname, '..', 'fuzz', 'backup-regressions.js'), '--keep', scratch.dir], { encoding: 'utf8', timeout: 300_000 });
    const report = `${run.stdout}\n${run.stderr}`;
    const lines = run.stdout.split('\n').filter((l) => /^K\d+ /.test(l));
    expect({ status: run.status, reproduce: lines.filter((l) => l.includes('REPRODUCES')) }).toEqual({ status: 0, reproduce: [] });
    expect(lines.map((l) => l.split(' ')[0])).toEqual(Array.from({ length: 12 }, (_, i) => `K${i + 1}`));
    // What each call did now: a typed error, or success.
    expect(report.split('\n').filter((l) => /^\s+got: /.test(l) && /untyped|hang|died/.test(l))).toEqual([]);
  });
});
