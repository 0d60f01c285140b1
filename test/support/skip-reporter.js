// Jest's summary, then a closing line with how many tests were skipped and
// why; and during the run one warning per missing requirement, where each
// suite used to warn on its own. Suites gated in requirements.ts carry what
// they lack in their names ("[skipped: needs rdiff]"); this counts those.
// With LIBRSYNC_TEST_RESULTS=FILE it also writes the run's results to FILE
// as `jest --json` does, so .ci/run can refuse skipped tests while running
// the README's test command exactly as written.
'use strict';
const { writeFileSync } = require('node:fs');
const { SummaryReporter } = require('@jest/reporters');
const { formatTestResults } = require('@jest/test-result');

const MARKER = /\[skipped: needs ([^\]]+)\]/;

/** Why a requirement is missing, and the command that provides it. */
const REQUIREMENTS = {
  rdiff: { why: 'not on PATH', fix: 'apt-get install rdiff' },
  'the native addon': {
    why: 'it does not load; `node bin/librsync.js --version` says why',
    fix: 'apt-get install librsync-dev python3 make g++ && npx node-gyp rebuild',
  },
  root: { why: 'they mount small file systems', fix: 'sudo npm test' },
};
const EVERYTHING = './scripts/setup for everything';

function describeRequirement(what) {
  return REQUIREMENTS[what] ?? { why: 'missing', fix: 'see README, "Running the tests"' };
}

function rank(what) {
  const i = Object.keys(REQUIREMENTS).indexOf(what);
  return i < 0 ? Infinity : i;
}

class SkipReporter extends SummaryReporter {
  constructor(globalConfig, options) {
    super(globalConfig, options);
    this.namePattern = globalConfig.testNamePattern;
    /** Skipped tests by what they need. */
    this.needing = new Map();
    /** Skipped tests no gate accounts for (a name pattern, it.skip, a condition in the test). */
    this.unexplained = 0;
  }

  onTestResult(test, testResult, results) {
    super.onTestResult(test, testResult, results);
    for (const t of testResult.testResults) {
      if (t.status !== 'pending') continue;
      const marker = t.ancestorTitles.map((title) => MARKER.exec(title)).find(Boolean);
      if (!marker) {
        this.unexplained++;
        continue;
      }
      for (const what of marker[1].split(', ')) {
        if (!this.needing.has(what)) {
          const { why, fix } = describeRequirement(what);
          this.log(`SKIPPING tests that need ${what} (${why}). To run them: ${fix}, or ${EVERYTHING}.`);
        }
        this.needing.set(what, (this.needing.get(what) ?? 0) + 1);
      }
    }
  }

  onRunComplete(contexts, results) {
    super.onRunComplete(contexts, results);
    const file = process.env.LIBRSYNC_TEST_RESULTS;
    if (file) writeFileSync(file, JSON.stringify(formatTestResults(results)));

    const skipped = results.numPendingTests + results.numTodoTests;
    if (skipped === 0) return;
    // In the table's order: suites finish in any order.
    const needing = [...this.needing].sort(([a], [b]) => rank(a) - rank(b));
    const reasons = needing.map(([what, n]) => `${n} need ${what} (${describeRequirement(what).why})`);
    if (this.unexplained > 0) {
      reasons.push(`${this.unexplained} ${this.namePattern ? 'left out by the test name pattern' : 'skipped by the tests themselves'}`);
    }
    if (results.numTodoTests > 0) reasons.push(`${results.numTodoTests} todo`);
    const fixes = needing.map(([what]) => describeRequirement(what).fix);
    const advice = fixes.length > 0 ? ` To run them: ${fixes.join('; ')}; or ${EVERYTHING}. Then npm test again.` : '';
    this.log(`Skipped ${skipped} of ${results.numTotalTests} tests: ${reasons.join(', ')}.${advice}`);
  }
}

module.exports = SkipReporter;
