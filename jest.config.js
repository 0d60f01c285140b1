/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
  testTimeout: 120000,
  // Native work runs on the libuv pool; two workers suit a 2-core machine.
  maxWorkers: 2,
  // 'default' split in two, so that the line counting skipped tests (and
  // saying what to install) closes the run, after jest's summary.
  reporters: ['<rootDir>/test/support/progress-reporter.js', '<rootDir>/test/support/skip-reporter.js'],
};
