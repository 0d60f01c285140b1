#!/usr/bin/env node
'use strict';
// npm's prepare script, run by `npm ci` and `npm install` in a clone, by
// `npm pack` and by installs from a git URL: builds dist/ from lib/
// (`npm run build:ts`) unless it is up to date. Not unconditionally, because
// test/package.test.ts packs the package while other suites run the CLI
// from dist/: rewriting those files under them could break them mid-run.
// Everything it says goes to stderr, as `npm pack --json` owns stdout.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, rmSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const lib = join(root, 'lib');
const dist = join(root, 'dist');

function filesUnder(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

/** Why dist/ must be built, or undefined when it is up to date. */
function staleness() {
  const sources = filesUnder(lib, '.ts').filter((f) => !f.endsWith('.d.ts'));
  const inputs = [...sources, join(root, 'tsconfig.json'), join(__dirname, 'write-esm-entry.js')];
  const outputs = [
    ...sources.map((f) => join(dist, relative(lib, f)).replace(/\.ts$/, '.js')),
    join(dist, 'index.mjs'),
    join(dist, 'backup', 'index.mjs'),
  ];
  const missing = outputs.find((f) => !existsSync(f));
  if (!existsSync(dist)) return 'dist/ is missing';
  if (missing) return `${relative(root, missing)} is missing`;
  const oldestOutput = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const changed = inputs.find((f) => statSync(f).mtimeMs > oldestOutput);
  if (changed) return `${relative(root, changed)} changed`;
  return undefined;
}

/** Compiled files whose source is gone (a renamed or deleted lib/ file). */
function orphans() {
  return filesUnder(dist, '.js').filter((f) => !existsSync(join(lib, relative(dist, f)).replace(/\.js$/, '.ts')));
}

const leftovers = orphans();
if (leftovers.length > 0) {
  // tsc never deletes outputs: start again so they are not packed.
  console.error(`prepare: ${relative(root, leftovers[0])} has no source in lib/: removing dist/ and building it again`);
  rmSync(dist, { recursive: true, force: true });
}
const why = staleness();
if (why === undefined) {
  console.error('prepare: dist/ is up to date with lib/');
} else if (!existsSync(join(root, 'node_modules', 'typescript'))) {
  // `npm install /path/to/clone` runs this in a clone nobody set up.
  console.error(`prepare: cannot build dist/ (${why}): TypeScript is not installed in ${root}: run \`npm ci\` there first (or ./scripts/setup)`);
  process.exit(1);
} else {
  console.error(`prepare: building dist/ (${why})`);
  try {
    // tsc's messages to stderr too: `npm pack --json` prints its JSON on stdout, after this script's output.
    execFileSync('npm', ['run', '--silent', 'build:ts'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch (err) {
    // tsc has printed why; a stack of this script would only hide it.
    console.error(`prepare: npm run build:ts failed (${err.status ?? err.message})`);
    process.exit(1);
  }
}
