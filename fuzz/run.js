#!/usr/bin/env node
'use strict';
// npm run fuzz -- --seconds N [--target loadsig|delta|patch|manifest|restore[,...]] [--seed S]
//                 [--out DIR] [--max-rss MiB] [--allow-known] [--replay FINDING_DIR]
// Mutation fuzzer over the rsync formats and backup manifests. Cases are
// drawn in this process from --seed and run in a forked worker (see
// child-pool.js), judged here (rsync-oracle.js, backup-oracle.js); findings
// are written under --out. Exits 1 when anything was found, 2 on bad usage.
const { mkdtempSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { Rng } = require('./rng');
const { ChildPool } = require('./child-pool');
const { Findings, decode } = require('./findings');
const { buildRsyncSeeds } = require('./rsync-seeds');
const { buildManifestSeeds } = require('./manifest-seeds');
const { loadsigCase, deltaCase, patchCase } = require('./rsync-cases');
const { backupCase } = require('./backup-cases');
const { judgeRsync } = require('./rsync-oracle');
const { judgeBackup } = require('./backup-oracle');
const { KNOWN, knownHang, knownIssueOf } = require('./known-issues');
const { forceRemove } = require('./sandbox');

const TARGETS = ['loadsig', 'delta', 'patch', 'manifest', 'restore'];
const RSYNC_TARGETS = ['loadsig', 'delta', 'patch'];
/** Per case: an rsync case is a few small jobs; a restore case is two restores and a verify of a small store. */
const TIMEOUT_MS = { loadsig: 15000, delta: 15000, patch: 15000, manifest: 10000, restore: 20000 };

function usage(message) {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- --seconds N [--target ${TARGETS.join('|')}[,...]] [--seed S] [--out DIR] [--max-rss MiB] [--allow-known] [--replay DIR]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { seconds: 60, targets: TARGETS, seed: 1, out: resolve('fuzz-findings'), maxRssMiB: 1024, replay: undefined, quiet: false, allowKnown: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${arg} needs a value`));
    if (arg === '--seconds') o.seconds = Number(value());
    else if (arg === '--target') o.targets = value().split(',');
    else if (arg === '--seed') o.seed = Number(value());
    else if (arg === '--out') o.out = resolve(value());
    else if (arg === '--max-rss') o.maxRssMiB = Number(value());
    else if (arg === '--replay') o.replay = resolve(value());
    else if (arg === '--quiet') o.quiet = true;
    else if (arg === '--allow-known') o.allowKnown = true;
    else usage(`unknown argument ${arg}`);
  }
  if (!(o.seconds > 0)) usage('--seconds must be a positive number');
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) usage('--seed must be a non-negative integer');
  for (const t of o.targets) if (!TARGETS.includes(t)) usage(`unknown target ${t}`);
  return o;
}

function loadLibrary() {
  try {
    return { lib: require('../dist/index.js'), backupLib: require('../dist/backup/index.js') };
  } catch (err) {
    usage(`cannot load dist/ (${err.message}): run npm run build:ts first`);
  }
}

/** One target for its share of the time: draw, run, judge, count. */
async function fuzzTarget(target, options, seeds, pool, findings) {
  const rng = new Rng((options.seed * 31 + TARGETS.indexOf(target) + 1) >>> 0);
  const draw = { loadsig: loadsigCase, delta: deltaCase, patch: patchCase }[target] ?? ((r, s) => backupCase(r, s, target));
  const stats = { target, cases: 0, seconds: 0, findings: 0, crashes: 0, hangs: 0, memory: 0, backends: {}, fsErrors: {}, known: {}, knownNotRun: 0 };
  const known = (issue) => (stats.known[issue.id] = (stats.known[issue.id] ?? 0) + 1);
  const count = (backend, what) => {
    const b = (stats.backends[backend] ??= { cases: 0, accepted: 0, codes: {} });
    b.cases++;
    if (what === 'ok') b.accepted++;
    else b.codes[what] = (b.codes[what] ?? 0) + 1;
  };
  const started = Date.now();
  const deadline = started + (options.seconds * 1000) / options.targets.length;
  for (let index = 0; Date.now() < deadline; index++) {
    const testCase = draw(rng.fork(), seeds);
    const hang = options.allowKnown && knownHang(testCase);
    if (hang) {
      known(hang);
      stats.knownNotRun++;
      continue;
    }
    const run = await pool.run(testCase, TIMEOUT_MS[target]);
    stats.cases++;
    let problems = [];
    if (run.kind === 'crash') {
      stats.crashes++;
      problems = [`the worker died (${run.signal ?? `exit ${run.code}`}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`];
    } else if (run.kind === 'hang') {
      stats.hangs++;
      problems = [`no answer within ${run.timeoutMs} ms (hang)`];
    } else if (run.kind === 'memory') {
      stats.memory++;
      problems = [`the worker's resident memory reached ${Math.round(run.rss / 2 ** 20)} MiB`];
    } else if (run.result.harnessError) {
      problems = [`the harness failed: ${run.result.harnessError.split('\n')[0]}`];
    } else if (RSYNC_TARGETS.includes(target)) {
      problems = judgeRsync(testCase, run.result);
      for (const [backend, o] of Object.entries(run.result.backends)) count(backend, o.ok ? 'ok' : o.error.code ?? o.error.name);
      if (run.result.rdiff) count('rdiff', run.result.rdiff.signal ? `died of ${run.result.rdiff.signal}` : run.result.rdiff.status === 0 ? 'ok' : `exit ${run.result.rdiff.status}`);
    } else {
      const judged = judgeBackup(testCase, run.result);
      problems = judged.problems;
      for (const e of judged.fsErrors) stats.fsErrors[e] = (stats.fsErrors[e] ?? 0) + 1;
      for (const [call, o] of Object.entries(run.result.calls)) count(call, o.ok ? 'ok' : o.error.code ?? o.error.name);
    }
    if (options.allowKnown) {
      problems = problems.filter((p) => {
        const issue = knownIssueOf(testCase, p);
        if (issue) known(issue);
        return !issue;
      });
    }
    if (problems.length) {
      stats.findings++;
      findings.record(target, index, testCase, problems, run.kind === 'result' ? run.result : run);
      if (!options.quiet) process.stderr.write(`[${target} #${index}] ${problems[0].slice(0, 300)}\n`);
    }
  }
  stats.seconds = (Date.now() - started) / 1000;
  return stats;
}

function report(all, findings, options, pool) {
  const lines = [`seed ${options.seed}, ${options.seconds} s over ${options.targets.join(', ')}; worker restarts ${pool.restarts}, peak worker RSS ${Math.round(pool.peakRss / 2 ** 20)} MiB`];
  for (const s of all) {
    lines.push(`${s.target}: ${s.cases} cases in ${s.seconds.toFixed(1)} s (${(s.cases / s.seconds).toFixed(1)}/s), ${s.findings} with findings (${s.crashes} crashes, ${s.hangs} hangs, ${s.memory} memory)`);
    for (const [backend, b] of Object.entries(s.backends)) {
      const codes = Object.entries(b.codes).sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ${n}`).join(', ');
      lines.push(`  ${backend}: ${b.cases} runs, ${b.accepted} accepted${codes ? `; ${codes}` : ''}`);
    }
    const fs = Object.entries(s.fsErrors);
    if (fs.length) lines.push(`  Node fs errors (allowed by README): ${fs.map(([e, n]) => `${e} x${n}`).join(', ')}`);
    const open = Object.entries(s.known);
    if (open.length) lines.push(`  known open issues (--allow-known; not findings): ${open.map(([id, n]) => `${id} x${n}`).join(', ')}${s.knownNotRun ? ` (${s.knownNotRun} cases not run: they hang)` : ''}`);
  }
  const seen = new Set(all.flatMap((s) => Object.keys(s.known)));
  for (const k of KNOWN) if (seen.has(k.id)) lines.push(`  ${k.id} (${k.where}): ${k.summary}`);
  const kinds = findings.summary();
  lines.push(kinds.length ? `${findings.total} findings of ${kinds.length} kinds, written under ${options.out}:` : 'no findings');
  for (const k of kinds) lines.push(`  ${k.count}x ${k.kind}\n     e.g. ${k.examples[0]}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Runs one recorded case again; a manifest case gets a freshly built seed store (the same bytes). */
async function replay(options, pool, backupLib, scratch) {
  const testCase = decode(readFileSync(join(options.replay, 'case.json'), 'utf8'));
  if (testCase.seedStore) testCase.seedStore = (await buildManifestSeeds(backupLib, scratch)).store;
  const run = await pool.run(testCase, TIMEOUT_MS[testCase.target]);
  const problems = run.kind !== 'result' ? [run.kind] : RSYNC_TARGETS.includes(testCase.target) ? judgeRsync(testCase, run.result) : judgeBackup(testCase, run.result).problems;
  process.stdout.write(`${JSON.stringify({ problems, run }, (_k, v) => (v && v.type === 'Buffer' ? `<${v.data.length} bytes>` : v), 1)}\n`);
  return problems.length;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { lib, backupLib } = loadLibrary();
  const info = lib.backendInfo();
  if (info.nativeError) usage(`the native addon does not load (${info.nativeError}): both backends are needed`);
  const scratch = mkdtempSync(join(tmpdir(), 'librsync-fuzz-'));
  const pool = new ChildPool({ scratch, maxRssBytes: options.maxRssMiB * 2 ** 20, heapMiB: Math.max(256, options.maxRssMiB) });
  let found = 0;
  try {
    if (options.replay) {
      found = await replay(options, pool, backupLib, scratch);
    } else {
      const seeds = {};
      if (options.targets.some((t) => RSYNC_TARGETS.includes(t))) Object.assign(seeds, await buildRsyncSeeds(lib, 'native'));
      if (options.targets.some((t) => !RSYNC_TARGETS.includes(t))) seeds.backup = await buildManifestSeeds(backupLib, scratch);
      const findings = new Findings(options.out);
      const all = [];
      for (const target of options.targets) all.push(await fuzzTarget(target, options, seeds, pool, findings));
      report(all, findings, options, pool);
      found = findings.total;
    }
  } finally {
    await pool.stop();
    forceRemove(scratch);
  }
  process.exitCode = found > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`fuzz: ${err.stack || err}\n`);
  process.exitCode = 2;
});
