'use strict';
// The speed benchmark's inputs, written in 16 MiB steps so that a 1 GiB
// case never holds a file in memory: `basis` (random), `edited` (1% of
// basis changed in place in 64 KiB patches, plus a 1000-byte insertion near
// the start and a 77-byte one in the middle) and `unrelated` (random).
const { randomFillSync } = require('node:crypto');
const { closeSync, openSync, writeSync } = require('node:fs');
const { join } = require('node:path');

const STEP = 16 << 20;
const PATCH_LENGTH = 64 << 10;

function writeAll(fd, bytes) {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}

/** Writes basis, edited and unrelated of `size` bytes each into dir; returns their paths. */
function writeSpeedFiles(dir, size) {
  const paths = { basis: join(dir, 'basis'), edited: join(dir, 'edited'), unrelated: join(dir, 'unrelated') };
  const patchCount = Math.max(1, Math.floor((size * 0.01) / PATCH_LENGTH));
  const patchStarts = Array.from({ length: patchCount }, (_, i) => Math.floor(((i + 0.5) * size) / patchCount) - PATCH_LENGTH / 2);
  const inserts = new Map([
    [4096, 1000],
    [Math.floor(size / 2), 77],
  ]);
  const basisFd = openSync(paths.basis, 'w');
  const editedFd = openSync(paths.edited, 'w');
  const unrelatedFd = openSync(paths.unrelated, 'w');
  try {
    const chunk = Buffer.allocUnsafe(Math.min(STEP, size));
    for (let start = 0; start < size; start += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, size - start));
      const end = start + part.length;
      randomFillSync(part);
      writeAll(basisFd, part);
      for (const p of patchStarts) {
        const from = Math.max(p, start);
        const to = Math.min(p + PATCH_LENGTH, end);
        if (from < to) randomFillSync(part, from - start, to - from);
      }
      let written = start;
      for (const [at, length] of inserts) {
        if (at < start || at >= end) continue;
        writeAll(editedFd, part.subarray(written - start, at - start));
        writeAll(editedFd, randomFillSync(Buffer.allocUnsafe(length)));
        written = at;
      }
      writeAll(editedFd, part.subarray(written - start));
      writeAll(unrelatedFd, randomFillSync(part));
    }
  } finally {
    closeSync(basisFd);
    closeSync(editedFd);
    closeSync(unrelatedFd);
  }
  return paths;
}

module.exports = { writeSpeedFiles };
