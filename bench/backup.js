#!/usr/bin/env node
'use strict';
// Backup benchmark over dist/: a generated tree (default about 1 GiB), a
// level 0, about 1% of it changed in place and by insertion, a level 1,
// then a restore of level 1 checked byte for byte. Each step runs in its
// own process under /usr/bin/time -v for its peak RSS.
//
//   node bench/backup.js [--size MiB] [--block-size BYTES] [--dir DIR] [--keep]
//   node bench/backup.js --files 100000      many small files instead
//   node bench/backup.js --single 3072       one file of that many MiB
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { join } = require('node:path');
const { Transform } = require('node:stream');
const { changeTree, generate, treeDigest } = require('./tree');

const dist = join(__dirname, '..', 'dist', 'backup', 'index.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}

/** One step in a child process under /usr/bin/time -v. */
function step(kind, args) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, __filename, '--step', kind, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${kind} failed: ${r.stderr}`);
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)[1]);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), peakRssMiB: +(rss / 1024).toFixed(1) };
}

async function runStep(kind, args) {
  const lib = require(dist);
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  if (kind === 'backup') {
    const [src, store, blockSize] = args;
    const r = await lib.backup(src, store, { name: 'bench', blockSize: blockSize ? Number(blockSize) : undefined });
    return { level: r.level, seconds: seconds(), filesRead: r.counts.filesRead, bytesRead: r.counts.bytesRead, bytesStored: r.counts.bytesStored + r.manifestBytes };
  }
  const [store, target] = args;
  // Count what the restore reads from the store.
  let storeBytes = 0;
  class CountingStore extends lib.LocalDirectoryStore {
    readObject(key, range) {
      const counter = new Transform({ transform(chunk, _e, cb) { storeBytes += chunk.length; cb(null, chunk); } });
      const source = super.readObject(key, range);
      source.on('error', (e) => counter.destroy(e));
      return source.pipe(counter);
    }
  }
  const r = await lib.restore(new CountingStore(store), target, {});
  return { level: r.level, seconds: seconds(), files: r.files, bytesRead: storeBytes, bytesWritten: r.bytesWritten };
}

async function main() {
  if (arg('step')) {
    const i = process.argv.indexOf('--step');
    const result = await runStep(process.argv[i + 1], process.argv.slice(i + 2));
    console.log(JSON.stringify(result));
    return;
  }
  const mode = { size: Number(arg('size', 1024)), files: Number(arg('files', 0)), single: Number(arg('single', 0)) };
  const dir = arg('dir', fs.mkdtempSync(join(require('node:os').tmpdir(), 'librsync-bench-backup-')));
  const src = join(dir, 'src');
  const store = join(dir, 'store');
  const target = join(dir, 'restore');
  console.error(`generating ${mode.single ? `one ${mode.single} MiB file` : mode.files ? `${mode.files} small files` : `${mode.size} MiB tree`} in ${dir} ...`);
  const files = generate(src, mode);
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  spawnSync('sync');
  const rows = [];
  const blockSize = arg('block-size', '');
  rows.push({ step: 'level 0', ...step('backup', [src, store, blockSize]) });
  const changed = changeTree(files).bytes;
  spawnSync('sync');
  rows.push({ step: 'level 1', ...step('backup', [src, store, blockSize]) });
  rows.push({ step: 'restore level 1', ...step('restore', [store, target]) });
  const identical = treeDigest(src) === treeDigest(target);
  console.log(`files ${files.length}, ${(totalBytes / 2 ** 20).toFixed(0)} MiB, changed ${(changed / 2 ** 20).toFixed(1)} MiB (${((100 * changed) / totalBytes).toFixed(2)}%) before level 1`);
  console.log('| step | time | files read | bytes read | bytes stored / written | peak RSS |');
  console.log('|---|---|---|---|---|---|');
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  for (const r of rows) {
    const out = r.bytesStored !== undefined ? mib(r.bytesStored) : mib(r.bytesWritten);
    console.log(`| ${r.step} | ${r.seconds.toFixed(2)} s | ${r.filesRead ?? r.files} | ${mib(r.bytesRead)} | ${out} | ${r.peakRssMiB} MiB |`);
  }
  console.log(`restore identical to the source (content, mode, mtime): ${identical}`);
  if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
  if (!identical) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
