#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// dist/ is compiled from lib/ (by npm's prepare script, run by `npm ci`): a
// fresh clone has none. Say what to run rather than "Cannot find module".
const root = join(__dirname, '..');
const main = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`librsync: not built (no dist/cli/main.js): run \`npm ci\` in ${root} (\`npm run build:ts\` if its node_modules is already installed)\n`);
  process.exit(107); // the CLI's status for an installation that cannot run
}
require(main).run();
