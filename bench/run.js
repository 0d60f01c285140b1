#!/usr/bin/env node
'use strict';
// Speed benchmark (issue 12): signature, delta of an edited file, delta of
// an unrelated file and patch, through rdiff (the baseline), the native
// backend serial (concurrency 1) and parallel (default concurrency), the js
// backend and the CLI, every run of every implementation interleaved so that
// machine noise hits them alike. Library rows run the README's quick start
// (bench/op.js), each in its own process for its peak RSS.
//
//   node bench/run.js [--sizes 256,1024] [--runs 3] [--out DIR] [--only native-serial,js] [--quick]
//
// Every output is compared with rdiff's (signature and both deltas byte for
// byte; patch output with the new file): a mismatch or a failed run exits 1,
// since timings of wrong output mean nothing. Writes speed-<date>.json,
// .md and .svg into --out (default bench/results; with --quick a fresh
// temporary directory) and copies the .md and .svg to speed-latest.*.
// --quick: 8 MiB files, one run: every path and every check, for CI.
// Data is generated in BENCH_DIR (default the temporary directory) and
// deleted at the end.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { writeSpeedFiles } = require('./speed-data');
const { speedChartSvg } = require('./speed-chart');
const { speedMarkdown, sizeTitle } = require('./speed-report');
const { evaluateTargets } = require('./speed-targets');

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'bin', 'librsync.js');
const OP = join(__dirname, 'op.js');

function usage(message) {
  console.error(`bench/run.js: ${message}`);
  process.exit(2);
}

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) usage(`--${name} needs a value`);
  return value;
}
const quick = process.argv.includes('--quick');
const sizes = (option('sizes') ?? (quick ? '8' : '256,1024')).split(',').map(Number);
const runs = Number(option('runs') ?? (quick ? 1 : 3));
if (!sizes.every((s) => Number.isInteger(s) && s > 0) || !Number.isInteger(runs) || runs < 1) {
  usage('--sizes takes MiB counts (256,1024) and --runs a positive integer');
}
const outOption = option('out');

/** Wall time of a whole process and its peak RSS (/usr/bin/time), plus what it printed as JSON, if anything. */
function timeProcess(cmd, args) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const rssKiB = Number(r.stderr.trim().split('\n').pop());
  const inner = r.stdout.startsWith('{') ? JSON.parse(r.stdout) : {};
  return { seconds: inner.seconds ?? wall, coldSeconds: inner.coldSeconds, rssMiB: rssKiB / 1024, loopP99Ms: inner.loopP99Ms, loopMaxMs: inner.loopMaxMs };
}

// rdiff's output is made durable as ours is (we fsync before the rename; it is followed by `sync FILE`).
const rdiff = (op, inputs, output) => timeProcess('sh', ['-c', 'rdiff -f "$@" && sync "$0"', output, op, ...inputs, output]);
const library = (backend, concurrency) => ({
  run: (op, inputs, output) => timeProcess(process.execPath, [OP, backend, concurrency, op, ...inputs, output]),
  idle: () => timeProcess(process.execPath, [OP, backend, concurrency, 'idle']),
});

const IMPLEMENTATIONS = [
  { id: 'rdiff', title: 'rdiff', run: rdiff, idle: () => timeProcess('sh', ['-c', 'rdiff --version > /dev/null']) },
  { id: 'native-serial', title: 'native, concurrency 1', ...library('native', '1') },
  { id: 'native-parallel', title: 'native, default concurrency', ...library('native', 'default') },
  { id: 'js', title: 'js', ...library('js', 'default') },
  {
    id: 'cli',
    title: 'CLI (librsync …)',
    run: (op, inputs, output) => timeProcess(process.execPath, [CLI, '-f', op, ...inputs, output]),
    idle: () => timeProcess(process.execPath, [CLI, '--version']),
  },
];
const only = option('only')?.split(',');
const unknown = only?.filter((id) => !IMPLEMENTATIONS.some((i) => i.id === id));
if (unknown?.length) usage(`--only: unknown ${unknown.join(', ')}; the implementations are ${IMPLEMENTATIONS.map((i) => i.id).join(', ')}`);
const impls = IMPLEMENTATIONS.filter((i) => i.id === 'rdiff' || !only || only.includes(i.id));

// inputs and reference output of each case, from the generated files and rdiff's untimed reference outputs
const OPERATIONS = [
  { id: 'signature', command: 'signature', title: 'signature', inputs: (f) => [f.basis], reference: (f) => f.sig, bytes: (f) => f.basis },
  { id: 'delta-edited', command: 'delta', title: 'delta, edited', inputs: (f) => [f.sig, f.edited], reference: (f) => f.editedDelta, bytes: (f) => f.edited },
  { id: 'delta-unrelated', command: 'delta', title: 'delta, unrelated', inputs: (f) => [f.sig, f.unrelated], reference: (f) => f.unrelatedDelta, bytes: (f) => f.unrelated },
  { id: 'patch', command: 'patch', title: 'patch', inputs: (f) => [f.basis, f.editedDelta], reference: (f) => f.edited, bytes: (f) => f.edited },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const maxOf = (xs) => (xs.some((x) => x === undefined) ? undefined : Math.max(...xs));

function sameBytes(a, b) {
  return spawnSync('cmp', ['-s', a, b]).status === 0;
}

function machine() {
  const lib = require('../dist/index.js');
  const attempt = (f) => {
    try {
      return f();
    } catch {
      return 'unknown';
    }
  };
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: (os.totalmem() / 2 ** 30).toFixed(0),
    node: process.version,
    librsync: lib.backendInfo().librsyncVersion ?? 'none (addon not loaded)',
    rdiff: attempt(() => execFileSync('rdiff', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim()),
    threadPool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    commit: attempt(() => execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()),
  };
}

/** One file size: data, rdiff's reference outputs, then every operation's runs, interleaved. */
function measureSize(sizeMiB, idleRss, rows, checks) {
  const dir = fs.mkdtempSync(join(process.env.BENCH_DIR || os.tmpdir(), 'librsync-speed-'));
  try {
    console.error(`# ${sizeTitle(sizeMiB)}: generating files in ${dir}`);
    const f = writeSpeedFiles(dir, sizeMiB << 20);
    f.sig = join(dir, 'reference.sig');
    f.editedDelta = join(dir, 'reference-edited.delta');
    f.unrelatedDelta = join(dir, 'reference-unrelated.delta');
    execFileSync('rdiff', ['-f', 'signature', f.basis, f.sig]);
    execFileSync('rdiff', ['-f', 'delta', f.sig, f.edited, f.editedDelta]);
    execFileSync('rdiff', ['-f', 'delta', f.sig, f.unrelated, f.unrelatedDelta]);
    for (const op of OPERATIONS) {
      const measured = new Map(impls.map((i) => [i.id, []]));
      for (let run = 0; run < runs; run++) {
        // each run starts with a different implementation, so none always follows another
        for (let k = 0; k < impls.length; k++) {
          const impl = impls[(k + run) % impls.length];
          const output = join(dir, `${op.id}.${impl.id}`);
          const check = { sizeMiB, op: op.id, impl: impl.id, run: run + 1, ok: false };
          try {
            measured.get(impl.id).push(impl.run(op.command, op.inputs(f), output));
            check.ok = sameBytes(output, op.reference(f));
            if (!check.ok) check.detail = `${output} differs from ${op.reference(f)}`;
          } catch (err) {
            check.detail = err.message.split('\n').slice(0, 3).join(' ');
          }
          checks.push(check);
          fs.rmSync(output, { force: true });
          console.error(`${sizeTitle(sizeMiB)} ${op.id} ${impl.id} run ${run + 1}: ${check.ok ? 'ok' : `FAILED ${check.detail}`}`);
        }
      }
      const mb = fs.statSync(op.bytes(f)).size / 1e6;
      const base = median(measured.get('rdiff').map((m) => m.seconds));
      for (const impl of impls) {
        const list = measured.get(impl.id);
        if (!list.length) continue;
        const seconds = median(list.map((m) => m.seconds));
        const peakRssMiB = Math.max(...list.map((m) => m.rssMiB));
        rows.push({
          sizeMiB,
          op: op.id,
          opTitle: op.title,
          impl: impl.id,
          implTitle: impl.title,
          seconds,
          mbPerSecond: mb / seconds,
          vsRdiff: base / seconds,
          coldSeconds: list[0].coldSeconds === undefined ? undefined : median(list.map((m) => m.coldSeconds)),
          peakRssMiB,
          rssGrowthMiB: peakRssMiB - idleRss.get(impl.id),
          loopP99Ms: maxOf(list.map((m) => m.loopP99Ms)),
          loopMaxMs: maxOf(list.map((m) => m.loopMaxMs)),
          runs: list,
        });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeResults(result) {
  const outDir = outOption ?? (quick ? fs.mkdtempSync(join(os.tmpdir(), 'librsync-speed-')) : join(__dirname, 'results'));
  fs.mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `speed-${result.when.slice(0, 10)}`);
  const md = speedMarkdown(result);
  const svg = speedChartSvg({
    rows: result.rows.filter((r) => r.impl !== 'rdiff'),
    sizes,
    ops: OPERATIONS,
    impls: impls.filter((i) => i.id !== 'rdiff'),
    title: `Speed as a multiple of rdiff's, ${result.machine.nproc} cores, ${result.when.slice(0, 10)}${result.ok ? '' : ' (FAILED CHECKS)'}`,
  });
  fs.writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, md);
  fs.writeFileSync(`${base}.svg`, svg);
  fs.writeFileSync(join(outDir, 'speed-latest.md'), md);
  fs.writeFileSync(join(outDir, 'speed-latest.svg'), svg);
  return { base, md, outDir };
}

function main() {
  const result = { when: new Date().toISOString(), command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(), quick, sizes, runs, machine: machine() };
  const idleRss = new Map();
  for (const impl of impls) idleRss.set(impl.id, median(Array.from({ length: runs }, () => impl.idle().rssMiB)));
  result.idleRssMiB = Object.fromEntries(idleRss);
  const rows = [];
  const checks = [];
  for (const sizeMiB of sizes) measureSize(sizeMiB, idleRss, rows, checks);
  Object.assign(result, { rows, checks, targets: evaluateTargets(rows, sizes), ok: checks.length > 0 && checks.every((c) => c.ok) });
  const { base, md, outDir } = writeResults(result);
  process.stdout.write(md);
  console.error(`written: ${base}.{json,md,svg} and ${join(outDir, 'speed-latest.{md,svg}')}`);
  if (!result.ok) {
    console.error('FAILED: some output differs from rdiff\'s or did not complete (see "Failed checks")');
    process.exitCode = 1;
  }
}

main();
