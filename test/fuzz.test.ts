// The fuzzer itself, for a bounded time over every target, must find
// nothing: CI runs it on every change (90 s; LIBRSYNC_FUZZ_SECONDS sets
// another time). Any finding fails this test, with the fuzzer's report (and
// where it wrote the inputs: fuzz-findings/jest/) in the failure message.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeNative } from './support/requirements';

const SECONDS = Number(process.env.LIBRSYNC_FUZZ_SECONDS ?? 90);
/** A fixed seed, so a failure here reproduces with the same command; LIBRSYNC_FUZZ_SEED explores others. */
const SEED = process.env.LIBRSYNC_FUZZ_SEED ?? '20261202';
/** Kept after a failure (git ignores it): the inputs of whatever was found. */
const FINDINGS = join(__dirname, '..', 'fuzz-findings', 'jest');

describeNative('npm run fuzz', () => {
  it(`finds nothing in ${SECONDS} s over all targets`, () => {
    const run = spawnSync(
      process.execPath,
      [join(__dirname, '..', 'fuzz', 'run.js'), '--seconds', String(SECONDS), '--seed', SEED, '--quiet', '--out', FINDINGS],
      { encoding: 'utf8', timeout: (SECONDS + 60) * 1000 },
    );
    const report = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`the fuzzer exited ${run.status ?? run.signal}:\n${report}`);
    expect(report).toContain('no findings');
    // Every target ran cases.
    for (const target of ['loadsig', 'delta', 'patch', 'manifest', 'restore']) expect(report).toMatch(new RegExp(`^${target}: [1-9]\\d* cases`, 'm'));
  }, (SECONDS + 90) * 1000);
});
