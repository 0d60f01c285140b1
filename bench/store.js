#!/usr/bin/env node
'use strict';
// Store-size benchmark (issue 11's targets), through the CLI as the README
// shows it (`librsync backup SOURCE STORE`, default options unless named):
//   1. a level with nothing changed over 100,000 small files: its stored
//      bytes (manifest and packs), target at most 5 MiB;
//   2. a tree of text (Perl modules, locale sources, TypeScript's lib:
//      real text files from this machine): stored/raw with --compression
//      off, auto (the default) and max, target auto at most 0.5x;
//   3. level 0 of 256 MiB of random bytes with --compression off and auto,
//      runs interleaved, median wall times: auto at most 1.05x off.
// Results: markdown on stdout (and --out FILE), JSON with --json FILE.
//
//   node bench/store.js [--quick] [--dir DIR] [--out FILE] [--json FILE] [--keep] [--only random] [--runs N]
// --only random measures step 3 alone (its ratio is the noisy one on a shared machine), --runs N times each.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { generate, writeRandomFile } = require('./tree');

const CLI = join(__dirname, '..', 'bin', 'librsync.js');
const quick = process.argv.includes('--quick');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const TARGETS = { noChangeBytes: 5 * 2 ** 20, textRatio: 0.5, randomSlowdown: 1.05 };
const SMALL_FILES = quick ? 10_000 : 100_000;
const RANDOM_MIB = quick ? 32 : 256;
const RUNS = Number(arg('runs', quick ? 1 : 3));
const ONLY = arg('only', undefined);
const TEXT_SOURCES = ['/usr/share/perl', '/usr/share/i18n', join(__dirname, '..', 'node_modules', 'typescript', 'lib')];

function backup(src, store, extra = []) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'backup', src, store, '--name', 'bench', '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`backup ${extra.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  return { seconds, packBytes: result.packBytes, manifestBytes: result.manifestBytes, storedBytes: result.storedBytes };
}

function treeBytes(root) {
  let total = 0;
  for (const e of fs.readdirSync(root, { withFileTypes: true, recursive: true })) if (e.isFile()) total += fs.statSync(join(e.parentPath ?? e.path, e.name)).size;
  return total;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const verdict = (ok) => (ok ? 'met' : '**missed**');

function main() {
  const dir = fs.mkdtempSync(join(arg('dir', os.tmpdir()), 'bench-store-'));
  const out = { quick, when: new Date().toISOString() };
  try {
    if (ONLY !== 'random') sizes(dir, out);
    randomLevel0(dir, out);
  } finally {
    if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
  }
  report(out);
}

function sizes(dir, out) {
  {
    // 1. No-change level over many small files.
    const small = join(dir, 'small');
    generate(small, { files: SMALL_FILES });
    const l0 = backup(small, join(dir, 'store-small'));
    const l1 = backup(small, join(dir, 'store-small'));
    out.noChange = { files: SMALL_FILES, level0: l0, level1: l1 };
    fs.rmSync(small, { recursive: true, force: true });

    // 2. Text.
    const text = join(dir, 'text');
    fs.mkdirSync(text);
    for (const source of TEXT_SOURCES) if (fs.existsSync(source)) spawnSync('cp', ['-a', source, join(text, source.split('/').filter(Boolean).join('_'))]);
    const raw = treeBytes(text);
    out.text = { rawBytes: raw, sources: TEXT_SOURCES };
    for (const mode of ['off', 'auto', 'max']) {
      const r = backup(text, join(dir, `store-text-${mode}`), ['--compression', mode]);
      out.text[mode] = { ...r, ratio: r.storedBytes / raw };
    }
    fs.rmSync(text, { recursive: true, force: true });
  }
}

function randomLevel0(dir, out) {
  {
    // 3. Incompressible level 0, off and auto interleaved.
    const random = join(dir, 'random');
    fs.mkdirSync(random);
    writeRandomFile(join(random, 'random.bin'), RANDOM_MIB * 2 ** 20);
    const times = { off: [], auto: [] };
    for (let run = 0; run < RUNS; run++) {
      for (const mode of ['off', 'auto']) {
        const store = join(dir, `store-random-${mode}`);
        fs.rmSync(store, { recursive: true, force: true });
        times[mode].push(backup(random, store, ['--compression', mode]).seconds);
      }
    }
    out.random = { mib: RANDOM_MIB, runs: times, ratio: median(times.auto) / median(times.off) };
  }
}

function report(out) {
  const lines = [
    `# Store size and compression (${out.when}${quick ? ', quick' : ''})`,
    '',
    `Command: \`${['node bench/store.js', ...process.argv.slice(2)].join(' ')}\`; ${os.cpus().length} cores, Node ${process.version}.`,
    '',
    '| measure | result | target | |',
    '|---|---|---|---|',
    ...(out.noChange ? [`| no-change level of ${out.noChange.files} files: stored (manifest + packs) | ${mib(out.noChange.level1.storedBytes)} (manifest ${mib(out.noChange.level1.manifestBytes)}); level 0 manifest ${mib(out.noChange.level0.manifestBytes)} | <= ${mib(TARGETS.noChangeBytes)} | ${verdict(out.noChange.level1.storedBytes <= TARGETS.noChangeBytes)} |`,
    ...['off', 'auto', 'max'].map(
      (m) => `| text tree (${mib(out.text.rawBytes)}), --compression ${m}: stored/raw | ${out.text[m].ratio.toFixed(3)} (${mib(out.text[m].storedBytes)}, ${out.text[m].seconds.toFixed(2)} s) | ${m === 'auto' ? `<= ${TARGETS.textRatio}` : ''} | ${m === 'auto' ? verdict(out.text.auto.ratio <= TARGETS.textRatio) : ''} |`,
    )] : []),
    `| level 0 of ${out.random.mib} MiB random: auto / off wall time (median of ${RUNS}) | ${out.random.ratio.toFixed(3)} (auto ${out.random.runs.auto.map((s) => s.toFixed(2)).join(', ')} s; off ${out.random.runs.off.map((s) => s.toFixed(2)).join(', ')} s) | <= ${TARGETS.randomSlowdown} | ${verdict(out.random.ratio <= TARGETS.randomSlowdown)} |`,
  ];
  const report = `${lines.join('\n')}\n`;
  process.stdout.write(report);
  if (arg('out')) fs.writeFileSync(arg('out'), report);
  if (arg('json')) fs.writeFileSync(arg('json'), `${JSON.stringify(out, null, 2)}\n`);
}

main();
