#!/usr/bin/env node
'use strict';
// Backup benchmark (issue 13): rdiff-backup, duplicity, restic, borg and
// ours (the CLI, bin/librsync.js) on the same generated trees in one run,
// step by step (every tool does a step before the tree changes for the next):
//
//   main   about 1 GiB, 524 files (two 256 MiB images, the rest up to 2 MiB):
//          level 0, a change (40 x 4 KiB in place in the images, a 100-byte
//          insert at the start of one file, 5000-byte inserts in the middle of
//          20), level 1, a no-change level, restore of the newest
//   small  100,000 files of 256 B to 4 KiB: level 0, no-change level, restore;
//          and ours alone on 1,000 such files, for its peak RSS
//   chain  one 1 GiB file, 40 x 4 KiB changed in place before each of 10
//          levels, restore of level 10 (and ours of level 0)
//
//   node bench/backup.js [--tools rdiff-backup,duplicity,restic,borg,ours] [--parts main,small,chain]
//                        [--size MiB] [--files N] [--levels N] [--chain-size MiB] [--out DIR] [--no-install] [--quick]
//
// Each step is one process under /usr/bin/time -v: wall time, user+system
// CPU, peak RSS; bytes stored and objects written are the growth of the
// store directory (file sizes summed, files counted). Every restore is
// checked against the source: same paths and bytes (SHA-256 of every file),
// modes, mtimes to the second. The page cache is warm (not dropped).
// Missing peers are installed with apt-get when run as root, else reported
// absent. Writes backup-DATE.{json,md,svg} and backup-latest.{md,svg} into
// --out (default bench/results; with --quick a fresh temporary directory).
// Data goes to BENCH_DIR (default the temporary directory), deleted at the end.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { TOOLS, ensurePeers } = require('./backup-tools');
const { evaluateBackupTargets } = require('./backup-targets');
const { backupMarkdown } = require('./backup-report');
const { backupChartSvg } = require('./backup-chart');
const { compareTrees, changeBackupTree, generate, generateBackupTree, overwriteBlocks, treeEntries } = require('./tree');

function usage(message) {
  console.error(`bench/backup.js: ${message}`);
  process.exit(2);
}
function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) usage(`--${name} needs a value`);
  return value;
}
const positive = (name, fallback) => {
  const v = Number(option(name) ?? fallback);
  if (!Number.isInteger(v) || v < 1) usage(`--${name} takes a positive integer`);
  return v;
};

const quick = process.argv.includes('--quick');
const settings = {
  quick,
  tools: (option('tools') ?? TOOLS.map((t) => t.id).join(',')).split(','),
  parts: (option('parts') ?? 'main,small,chain').split(','),
  sizeMiB: positive('size', quick ? 16 : 1024),
  files: positive('files', quick ? 300 : 100000),
  referenceFiles: quick ? 100 : 1000,
  levels: positive('levels', quick ? 3 : 10),
  chainSizeMiB: positive('chain-size', quick ? 4 : 1024),
};
for (const t of settings.tools) if (!TOOLS.some((k) => k.id === t)) usage(`--tools: unknown ${t}; the tools are ${TOOLS.map((k) => k.id).join(', ')}`);
for (const p of settings.parts) if (!['main', 'small', 'chain'].includes(p)) usage(`--parts: unknown ${p}; the parts are main, small, chain`);

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Sum of file sizes and number of files under dir (du -sb style, directories not counted). */
function storeUsage(dir) {
  let bytes = 0;
  let files = 0;
  const visit = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else {
        bytes += fs.lstatSync(p).size;
        files += 1;
      }
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return { bytes, files };
}

const field = (text, label) => {
  const m = new RegExp(`${label}: ([\\d.]+)`).exec(text);
  return m ? Number(m[1]) : undefined;
};

/** One command under /usr/bin/time -v: { wallS, userS, sysS, cpuS, peakRssMiB } or { error }. */
function timed({ cmd, args, env, cwd }) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: 'C.UTF-8', ...env } });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const userS = field(r.stderr, 'User time \\(seconds\\)');
  const sysS = field(r.stderr, 'System time \\(seconds\\)');
  const rssKiB = field(r.stderr, 'Maximum resident set size \\(kbytes\\)');
  if (r.status !== 0) {
    const report = r.stderr.indexOf('\tCommand being timed');
    return { error: `exit ${r.status}: ${(report < 0 ? r.stderr : r.stderr.slice(0, report)).trim().split('\n').slice(-4).join(' ').slice(-600)}` };
  }
  return { wallS, userS, sysS, cpuS: userS + sysS, peakRssMiB: rssKiB / 1024 };
}

function run({ cmd, args, env, cwd }) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim().slice(-600)}`);
}

/** The tools of one part, each with its work directory, store and time of its last backup. */
function workspaces(partDir, tools) {
  return tools.map((tool) => {
    const dir = join(partDir, tool.id);
    const w = { tool, dir, store: join(dir, 'store'), lastBackupEnd: 0, failed: false };
    fs.mkdirSync(dir, { recursive: true });
    try {
      for (const c of tool.init(w)) run(c);
    } catch (err) {
      w.failed = err.message;
    }
    return w;
  });
}

function record(rows, part, step, w, measured, extra = {}) {
  const row = { part, step, tool: w.tool.id, ...measured, ...extra };
  rows.push(row);
  const what = row.error ? `FAILED ${row.error}` : `${row.wallS.toFixed(2)} s, ${row.peakRssMiB.toFixed(0)} MiB${row.restore ? `, restore ${row.restore.identical ? 'identical' : `DIFFERS (${row.restore.first})`}` : ''}`;
  console.error(`${part} ${step} ${w.tool.id}: ${what}`);
  return row;
}

/** A backup step for every tool: timed, with the store's growth. */
function backupStep(rows, part, step, spaces, src, level) {
  for (const w of spaces) {
    if (w.failed) {
      record(rows, part, step, w, { error: `skipped: ${w.failed}` });
      continue;
    }
    const wait = w.lastBackupEnd + 1100 - Date.now();
    if (w.tool.secondsApart && wait > 0) sleep(wait);
    const before = storeUsage(w.store);
    const measured = timed(w.tool.backup(w, src, level));
    w.lastBackupEnd = Date.now();
    w.lastLevel = level;
    const after = storeUsage(w.store);
    if (measured.error) w.failed = `${step} failed`;
    record(rows, part, step, w, measured, { level, storedBytes: after.bytes - before.bytes, objects: after.files - before.files, storeBytes: after.bytes });
  }
}

/** A restore for every tool (ours of `level` when given), checked against `expected`, then deleted. */
function restoreStep(rows, part, step, spaces, src, expected, level) {
  for (const w of spaces) {
    if (w.failed) {
      record(rows, part, step, w, { error: `skipped: ${w.failed}` });
      continue;
    }
    const target = join(w.dir, 'restore');
    fs.rmSync(target, { recursive: true, force: true });
    const measured = timed(w.tool.restore(w, target, level));
    const extra = {};
    if (!measured.error) {
      const root = w.tool.restoredRoot(w, target, src);
      extra.restore = fs.existsSync(root) ? compareTrees(expected, treeEntries(root)) : { identical: false, modes: false, mtimes: false, first: `nothing at ${root}` };
    }
    record(rows, part, step, w, measured, extra);
    fs.rmSync(target, { recursive: true, force: true });
  }
}

function mainPart(base, tools, rows, notes) {
  const dir = join(base, 'main');
  const src = join(dir, 'src');
  console.error(`# main: generating a ${settings.sizeMiB} MiB tree in ${src}`);
  const files = generateBackupTree(src, settings.sizeMiB);
  notes.main = { files: files.length, bytes: files.reduce((s, f) => s + f.size, 0) };
  const spaces = workspaces(dir, tools);
  backupStep(rows, 'main', 'level 0', spaces, src, 0);
  notes.main.changed = changeBackupTree(files);
  backupStep(rows, 'main', 'level 1', spaces, src, 1);
  backupStep(rows, 'main', 'no-change level', spaces, src, 2);
  restoreStep(rows, 'main', 'restore newest', spaces, src, treeEntries(src));
  fs.rmSync(dir, { recursive: true, force: true });
}

function smallTree(base, name, count, tools, rows) {
  const dir = join(base, name);
  const src = join(dir, 'src');
  console.error(`# ${name}: generating ${count} small files in ${src}`);
  generate(src, { files: count });
  const spaces = workspaces(dir, tools);
  backupStep(rows, name, 'level 0', spaces, src, 0);
  backupStep(rows, name, 'no-change level', spaces, src, 1);
  restoreStep(rows, name, 'restore newest', spaces, src, treeEntries(src));
  fs.rmSync(dir, { recursive: true, force: true });
}

function smallPart(base, tools, rows, notes) {
  notes.small = { files: settings.files, referenceFiles: settings.referenceFiles };
  smallTree(base, 'small', settings.files, tools, rows);
  const ours = tools.filter((t) => t.id === 'ours');
  if (ours.length) smallTree(base, 'small-reference', settings.referenceFiles, ours, rows);
}

function chainPart(base, tools, rows, notes) {
  const dir = join(base, 'chain');
  const src = join(dir, 'src');
  const size = settings.chainSizeMiB * 2 ** 20;
  console.error(`# chain: one ${settings.chainSizeMiB} MiB file, ${settings.levels} levels, in ${src}`);
  generate(src, { single: settings.chainSizeMiB });
  const file = join(src, 'single.bin');
  const spaces = workspaces(dir, tools);
  backupStep(rows, 'chain', 'level 0', spaces, src, 0);
  const level0 = treeEntries(src);
  let changed = 0;
  for (let level = 1; level <= settings.levels; level++) {
    changed += overwriteBlocks(file, size, 40, level);
    backupStep(rows, 'chain', `level ${level}`, spaces, src, level);
  }
  notes.chain = { bytes: size, levels: settings.levels, changedBytes: changed };
  restoreStep(rows, 'chain', `restore level ${settings.levels}`, spaces, src, treeEntries(src));
  const ours = spaces.filter((w) => w.tool.id === 'ours');
  restoreStep(rows, 'chain', 'restore level 0', ours, src, level0, 0);
  fs.rmSync(dir, { recursive: true, force: true });
}

function machine(versions) {
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
    kernel: os.release(),
    commit: attempt(() => execFileSync('git', ['-C', join(__dirname, '..'), 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()),
    versions,
  };
}

function writeResults(result) {
  const outDir = option('out') ?? (quick ? fs.mkdtempSync(join(os.tmpdir(), 'librsync-bench-backup-out-')) : join(__dirname, 'results'));
  fs.mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `backup-${result.when.slice(0, 10)}`);
  const md = backupMarkdown(result);
  const svg = backupChartSvg(result);
  fs.writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, md);
  fs.writeFileSync(`${base}.svg`, svg);
  fs.writeFileSync(join(outDir, 'backup-latest.md'), md);
  fs.writeFileSync(join(outDir, 'backup-latest.svg'), svg);
  return { base, md, outDir };
}

function main() {
  const started = Date.now();
  const { missing, installed, log } = ensurePeers(settings.tools, { install: !process.argv.includes('--no-install') });
  for (const id of missing) console.error(`# ${id} is not installed (apt-get install -y ${TOOLS.find((t) => t.id === id).package}, as root): it is marked absent`);
  const tools = TOOLS.filter((t) => settings.tools.includes(t.id) && !missing.includes(t.id));
  const versions = Object.fromEntries(tools.map((t) => [t.id, t.version()]));
  const result = {
    when: new Date().toISOString(),
    command: `node bench/backup.js ${process.argv.slice(2).join(' ')}`.trim(),
    settings,
    tools: tools.map((t) => ({ id: t.id, title: t.title })),
    absent: missing,
    installed,
    installLog: log,
    machine: machine(versions),
    notes: {},
  };
  const rows = [];
  const base = fs.mkdtempSync(join(process.env.BENCH_DIR || os.tmpdir(), 'librsync-bench-backup-'));
  try {
    if (settings.parts.includes('main')) mainPart(base, tools, rows, result.notes);
    if (settings.parts.includes('small')) smallPart(base, tools, rows, result.notes);
    if (settings.parts.includes('chain')) chainPart(base, tools, rows, result.notes);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  const failures = rows.filter((r) => r.error || (r.restore && !r.restore.identical));
  Object.assign(result, { rows, targets: evaluateBackupTargets(rows, settings), ok: rows.length > 0 && failures.length === 0, seconds: (Date.now() - started) / 1000 });
  const { base: out, md, outDir } = writeResults(result);
  process.stdout.write(md);
  console.error(`written: ${out}.{json,md,svg} and ${join(outDir, 'backup-latest.{md,svg}')} (${result.seconds.toFixed(0)} s in all)`);
  if (!result.ok) {
    console.error('FAILED: a step failed or a restore differs from its source (see "Failures")');
    process.exitCode = 1;
  }
}

main();
