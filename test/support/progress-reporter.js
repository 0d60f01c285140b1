// Jest's per-suite output, picked as jest picks it for 'default': the
// verbose one for --verbose or a single test file. jest.config.js lists this
// rather than 'default', whose summary would come last: skip-reporter.js
// prints the summary itself, followed by its line about skipped tests.
'use strict';
const { DefaultReporter, VerboseReporter } = require('@jest/reporters');

module.exports = function ProgressReporter(globalConfig) {
  return globalConfig.verbose ? new VerboseReporter(globalConfig) : new DefaultReporter(globalConfig);
};
