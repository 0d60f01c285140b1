// What a developer sees when rdiff or the addon is missing: jest run on two
// small fixture suites (test/support/skip-fixtures) with a PATH that has
// node and nothing else. One warning per missing requirement, whatever the
// number of suites, and a closing line that counts the skipped tests and
// says why; with LIBRSYNC_REQUIRE_ALL=1 the suites fail instead.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeNative, describeWithRdiff } from './support/requirements';
import { scratchDir } from './support/files';

const root = join(__dirname, '..');
const jestBin = require.resolve('jest/bin/jest');

const RDIFF_WARNING = 'SKIPPING tests that need rdiff (not on PATH). To run them: apt-get install rdiff, or ./scripts/setup for everything.';
const ADDON_WARNING =
  'SKIPPING tests that need the native addon (it does not load; `node bin/librsync.js --version` says why). ' +
  'To run them: apt-get install librsync-dev python3 make g++ && npx node-gyp rebuild, or ./scripts/setup for everything.';

interface FixtureRun {
  status: number | null;
  stderr: string;
  warnings: string[];
  lastLine: string;
  results: { numPassedTests: number; numPendingTests: number; numTotalTests: number } | undefined;
}

describe('skipped tests', () => {
  const scratch = scratchDir('librsync-skips-');
  afterAll(() => scratch.remove());
  // A PATH on which rdiff cannot be found.
  const bin = scratch.path('bin');
  beforeAll(() => {
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
  });

  function runFixtures(env: NodeJS.ProcessEnv): FixtureRun {
    const resultsFile = scratch.path(`results-${Math.random().toString(16).slice(2)}.json`);
    const clean = { ...process.env };
    for (const name of ['CI', 'LIBRSYNC_REQUIRE_ALL', 'LIBRSYNC_ADDON_PATH', 'JEST_WORKER_ID']) delete clean[name];
    const child = spawnSync(process.execPath, [jestBin, '--ci', '--testMatch', '<rootDir>/test/support/skip-fixtures/*.fixture.ts'], {
      cwd: root,
      env: { ...clean, PATH: bin, LIBRSYNC_TEST_RESULTS: resultsFile, ...env },
      encoding: 'utf8',
      timeout: 120000,
    });
    const lines = child.stderr.split('\n').filter((l) => l.trim() !== '');
    let results;
    try {
      results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    } catch {
      results = undefined;
    }
    return { status: child.status, stderr: child.stderr, warnings: lines.filter((l) => l.startsWith('SKIPPING')), lastLine: lines.at(-1) ?? '', results };
  }

  describeNative('with the addon', () => {
    it('without rdiff: one warning for two suites, and a closing line that counts and explains the skips', () => {
      const run = runFixtures({});
      expect(run.warnings).toEqual([RDIFF_WARNING]);
      expect(run.lastLine).toBe(
        'Skipped 5 of 10 tests: 5 need rdiff (not on PATH). To run them: apt-get install rdiff; or ./scripts/setup for everything. Then npm test again.',
      );
      expect(run.status).toBe(0);
      // LIBRSYNC_TEST_RESULTS: what .ci/run checks for skips.
      expect(run.results).toMatchObject({ numPassedTests: 5, numPendingTests: 5, numTotalTests: 10 });
    });

    it('without rdiff, in CI: the suites fail, naming what is missing, and nothing is skipped quietly', () => {
      const run = runFixtures({ LIBRSYNC_REQUIRE_ALL: '1' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('rdiff is required in CI but missing: run ./scripts/setup (see README, "Running the tests")');
      expect(run.stderr).toContain('Test Suites: 2 failed, 2 total');
      expect(run.warnings).toEqual([]);
    });
  });

  it('without rdiff or the addon: one warning for each, and both counted', () => {
    const run = runFixtures({ LIBRSYNC_ADDON_PATH: scratch.path('no-such-addon.node') });
    expect([...run.warnings].sort()).toEqual([ADDON_WARNING, RDIFF_WARNING].sort());
    expect(run.lastLine).toBe(
      'Skipped 7 of 10 tests: 5 need rdiff (not on PATH), 6 need the native addon (it does not load; `node bin/librsync.js --version` says why). ' +
        'To run them: apt-get install rdiff; apt-get install librsync-dev python3 make g++ && npx node-gyp rebuild; or ./scripts/setup for everything. Then npm test again.',
    );
    expect(run.status).toBe(0);
    expect(run.results).toMatchObject({ numPassedTests: 3, numPendingTests: 7, numTotalTests: 10 });
  });

  describeWithRdiff('with everything', () => {
    it('says nothing about skips', () => {
      const run = runFixtures({ PATH: process.env.PATH });
      expect(run.status).toBe(0);
      expect(run.warnings).toEqual([]);
      expect(run.stderr).not.toContain('Skipped');
      expect(run.results).toMatchObject({ numPassedTests: 10, numPendingTests: 0, numTotalTests: 10 });
    });
  });
});
