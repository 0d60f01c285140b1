'use strict';
// The benchmarks' source tree: generated (random bytes, sizes from fixed
// sequences), changed by about 1% (overwrites in place, small insertions
// near the start of files), and hashed to check a restore against it.
const { createHash, randomFillSync } = require('node:crypto');
const fs = require('node:fs');
const { join } = require('node:path');

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

/**
 * Writes the tree under src and returns its files ({ path, size }):
 * mode.single MiB in one file, or mode.files small files (256 B to 4 KiB,
 * 500 a directory), or mode.size MiB in files of 16 KiB to 24 MiB.
 */
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

/**
 * About 1% of the bytes: overwrites in place in some files, small
 * insertions near the start of others. Returns { bytes, files }: the bytes
 * changed and how many distinct files were touched.
 */
function changeTree(files) {
  const total = files.reduce((s, f) => s + f.size, 0);
  let budget = total / 100;
  let changed = 0;
  const touched = new Set();
  for (let i = 0; budget > 0 && i < files.length * 2; i++) {
    const f = files[(i * 7) % files.length];
    if (f.size < 8192) continue;
    touched.add(f.path);
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
  return { bytes: changed, files: touched.size };
}

/**
 * About 1% of a tree of small files (which changeTree leaves alone: it
 * edits files of 8 KiB and more): every hundredth file rewritten whole,
 * same size, new bytes. Returns { bytes, files } as changeTree does.
 */
function rewriteSmallFiles(files) {
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < files.length; i += 100) {
    writeRandomFile(files[i].path, files[i].size);
    bytes += files[i].size;
    count += 1;
  }
  return { bytes, files: count };
}

/**
 * Issue 13's tree: two images of a quarter of mode.size MiB each (256 MiB at
 * the default 1 GiB) and the other half in about 522 files of up to 2 MiB
 * (sizes in pairs around their mean, so the total is exact), in 16
 * directories. Returns its files ({ path, size, image }).
 */
function generateBackupTree(src, sizeMiB) {
  const total = sizeMiB * 2 ** 20;
  const imageSize = Math.floor(total / 4 / 4096) * 4096;
  const files = [];
  fs.mkdirSync(join(src, 'images'), { recursive: true });
  for (const name of ['disk0.img', 'disk1.img']) files.push({ path: join(src, 'images', name), size: imageSize, image: true });
  const rest = total - 2 * imageSize;
  const count = Math.max(22, Math.round((522 * sizeMiB) / 1024));
  const mean = Math.floor(rest / count);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const dir = join(src, `dir${i % 16}`);
    if (i < 16) fs.mkdirSync(dir, { recursive: true });
    const spread = Math.floor(((i >> 1) * 7919 * 4099) % Math.max(1, mean - 1));
    const size = i === count - 1 ? rest - bytes : mean + (i % 2 === 0 ? spread : -spread);
    files.push({ path: join(dir, `file${i}.bin`), size, image: false });
    bytes += size;
  }
  for (const f of files) writeRandomFile(f.path, f.size);
  return files;
}

/** Overwrites `count` 4 KiB-aligned blocks of 4 KiB in place, spread over the file, shifted by `seed`. */
function overwriteBlocks(path, size, count, seed) {
  const fd = fs.openSync(path, 'r+');
  const blocks = Math.floor(size / 4096);
  const block = Buffer.alloc(4096);
  for (let k = 0; k < count; k++) {
    const index = Math.floor(((k + 0.5) * blocks) / count + seed * 7919) % blocks;
    fs.writeSync(fd, randomFillSync(block), 0, Math.min(4096, size), index * 4096);
  }
  fs.closeSync(fd);
  return count * Math.min(4096, size);
}

/**
 * Issue 13's change between level 0 and level 1: 40 writes of 4 KiB in
 * place in the two images (20 each), a 100-byte insert at the start of one
 * file and 5000-byte inserts in the middle of 20 others. Returns
 * { bytes, files } as changeTree does.
 */
function changeBackupTree(files) {
  let bytes = 0;
  const images = files.filter((f) => f.image);
  for (const f of images) bytes += overwriteBlocks(f.path, f.size, 20, 0);
  const others = files.filter((f) => !f.image);
  insertInto(others[0].path, 0, randomFillSync(Buffer.alloc(100)));
  others[0].size += 100;
  bytes += 100;
  for (let i = 1; i <= 20; i++) {
    const f = others[Math.floor((i * others.length) / 21)];
    insertInto(f.path, Math.floor(f.size / 2), randomFillSync(Buffer.alloc(5000)));
    f.size += 5000;
    bytes += 5000;
  }
  return { bytes, files: images.length + 21 };
}

/**
 * Every entry under root, in name order, as { path, type, mode, mtimeS,
 * size, sha256 }: what a restore is checked against.
 */
function treeEntries(root) {
  const entries = [];
  const chunk = Buffer.allocUnsafe(8 << 20);
  const visit = (dir, rel) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const s = fs.lstatSync(p);
      const type = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
      // a directory's st_size depends on how its entries were created, not on what it holds
      const entry = { path: r, type, mode: s.mode & 0o7777, mtimeS: Math.floor(s.mtimeMs / 1000), size: type === 'dir' ? 0 : s.size };
      if (s.isFile()) {
        const hash = createHash('sha256');
        const fd = fs.openSync(p, 'r');
        for (let n; (n = fs.readSync(fd, chunk)) > 0; ) hash.update(chunk.subarray(0, n));
        fs.closeSync(fd);
        entry.sha256 = hash.digest('hex');
      }
      entries.push(entry);
      if (s.isDirectory()) visit(p, r);
    }
  };
  visit(root, '');
  return entries;
}

/**
 * A restore checked against the source's entries: `identical` when the same
 * paths hold the same bytes (names, types, sizes, SHA-256 of every file),
 * `modes` when every permission matches too, `mtimes` when every file's
 * mtime matches to the second (directories' are not compared: tools differ
 * in when they set them). `first` names the first difference.
 */
function compareTrees(expected, actual) {
  const byPath = new Map(actual.map((e) => [e.path, e]));
  const result = { identical: expected.length === actual.length, modes: true, mtimes: true, first: undefined };
  const note = (what) => {
    result.first ??= what;
  };
  if (!result.identical) note(`${expected.length} entries expected, ${actual.length} restored`);
  for (const e of expected) {
    const a = byPath.get(e.path);
    if (!a || a.type !== e.type || a.size !== e.size || a.sha256 !== e.sha256) {
      result.identical = false;
      note(a ? `${e.path} differs` : `${e.path} missing`);
      continue;
    }
    if (a.mode !== e.mode) {
      result.modes = false;
      note(`${e.path} mode ${a.mode.toString(8)}, expected ${e.mode.toString(8)}`);
    }
    if (e.type === 'file' && a.mtimeS !== e.mtimeS) {
      result.mtimes = false;
      note(`${e.path} mtime ${a.mtimeS}, expected ${e.mtimeS}`);
    }
  }
  return result;
}

/** SHA-256 over names, modes, mtimes (ms) and contents, in name order. */
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

module.exports = {
  writeRandomFile,
  generate,
  generateBackupTree,
  insertInto,
  changeTree,
  changeBackupTree,
  overwriteBlocks,
  rewriteSmallFiles,
  treeDigest,
  treeEntries,
  compareTrees,
};
