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
const { createHash, randomFillSync } = require('node:crypto');
const fs = require('node:fs');
const { join } = require('node:path');
const { Transform } = require('node:stream');

const dist = join(__dirname, '..', 'dist', 'backup', 'index.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}

/** Deterministic-enough layout: sizes from a fixed sequence, bytes random. */
function writeRandomFile(path, size) {
  const fd = fs.openSync(path, 'w');
  const chunk = Buffer.allocUnsafe(Math.min(size, 8 << 20));
  for (let done = 0; done < size; ) {
    const n = Math.min(chunk.length, size - done);
    randomFillSync(chunk, 0, n);
    fs.writeSync(fd, chunk, 0, n);
    done += n;
  }
  fs.closeSync(fd);
}

function generate(src, mode) {
  fs.mkdirSync(src, { recursive: true });
  const files = [];
  if (mode.single) {
    files.push({ path: join(src, 'single.bin'), size: mode.single * 2 ** 20 });
  } else if (mode.files) {
    for (let i = 0; i < mode.files; i++) {
      const dir = join(src, `d${Math.floor(i / 500)}`);
      if (i % 500 === 0) fs.mkdirSync(dir);
      files.push({ path: join(dir, `f${i}`), size: 256 + ((i * 7919) % 4096) });
    }
  } else {
    // Sizes from 16 KiB to 24 MiB; a tenth of the bytes in small files.
    const total = mode.size * 2 ** 20;
    let bytes = 0;
    for (let i = 0; bytes < total; i++) {
      const dir = join(src, `dir${i % 16}`);
      if (i < 16) fs.mkdirSync(dir);
      const size = Math.min(total - bytes, i % 10 === 0 ? (1 + (i % 24)) << 20 : (16 + ((i * 37) % 240)) << 10);
      files.push({ path: join(dir, `file${i}.bin`), size });
      bytes += size;
    }
  }
  for (const f of files) writeRandomFile(f.path, f.size);
  return files;
}

/** Rewrites `path` with `bytes` inserted at `offset`, chunk by chunk (files may exceed a Buffer). */
function insertInto(path, offset, bytes) {
  const temp = `${path}.insert`;
  const input = fs.openSync(path, 'r');
  const output = fs.openSync(temp, 'w');
  const chunk = Buffer.allocUnsafe(8 << 20);
  let position = 0;
  for (;;) {
    const want = position < offset ? Math.min(chunk.length, offset - position) : chunk.length;
    const n = fs.readSync(input, chunk, 0, want, position);
    if (n === 0) break;
    fs.writeSync(output, chunk, 0, n);
    position += n;
    if (position === offset) fs.writeSync(output, bytes);
  }
  fs.closeSync(input);
  fs.closeSync(output);
  fs.renameSync(temp, path);
}

/** About 1% of the bytes: overwrites in place in some files, small insertions near the start of others. */
function change(files) {
  const total = files.reduce((s, f) => s + f.size, 0);
  let budget = total / 100;
  let changed = 0;
  for (let i = 0; budget > 0 && i < files.length * 2; i++) {
    const f = files[(i * 7) % files.length];
    if (f.size < 8192) continue;
    if (i % 2 === 0) {
      // A few scattered runs overwritten in place.
      const piece = Math.min(Math.ceil(budget / 4), 64 << 10, Math.floor(f.size / 16));
      const fd = fs.openSync(f.path, 'r+');
      for (let k = 1; k <= 4; k++) fs.writeSync(fd, randomFillSync(Buffer.alloc(piece)), 0, piece, Math.floor((f.size * k) / 5));
      fs.closeSync(fd);
      budget -= 4 * piece;
      changed += 4 * piece;
    } else {
      const piece = Math.min(Math.ceil(budget), 4096);
      insertInto(f.path, 100, randomFillSync(Buffer.alloc(piece)));
      f.size += piece;
      budget -= piece;
      changed += piece;
    }
  }
  return changed;
}

function treeDigest(root) {
  const hash = createHash('sha256');
  const visit = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = join(dir, name);
      const s = fs.lstatSync(p);
      hash.update(`${name}\0${s.mode}\0${Math.floor(s.mtimeMs)}\0`);
      if (s.isDirectory()) visit(p);
      else {
        const fd = fs.openSync(p, 'r');
        const chunk = Buffer.allocUnsafe(8 << 20);
        for (let n; (n = fs.readSync(fd, chunk)) > 0; ) hash.update(chunk.subarray(0, n));
        fs.closeSync(fd);
      }
    }
  };
  visit(root);
  return hash.digest('hex');
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
  const changed = change(files);
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
