'use strict';
// A small real store to mutate: three levels of a tree holding every kind
// of entry (files whole and as deltas, an empty file, directories, a
// symlink to a file and one to a directory, a hard link, a FIFO, a path
// deleted in a later level). Its manifests are then normalized (fixed
// times, inodes and source path) and re-sealed, so the seed is the same
// on every run and only the mutations depend on --seed.
const { execFileSync } = require('node:child_process');
const { appendFileSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Rng } = require('./rng');
const { manifestTextOf, parseManifest, seal } = require('./manifest-seal');

const NAME = 'fuzz';
const FIXED_SECONDS = 1600000000;

function writeTree(src, rng) {
  mkdirSync(join(src, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), Buffer.from('alpha line\n'.repeat(300)));
  writeFileSync(join(src, 'big.bin'), rng.bytes(20000));
  writeFileSync(join(src, 'dir', 'inner.txt'), 'inner\n');
  writeFileSync(join(src, 'dir', 'sub', 'deep.txt'), rng.bytes(3000));
  writeFileSync(join(src, 'empty'), '');
  symlinkSync('../a.txt', join(src, 'dir', 'link'));
  symlinkSync('dir', join(src, 'z-link-dir'));
  linkSync(join(src, 'a.txt'), join(src, 'hard'));
  execFileSync('mkfifo', [join(src, 'fifo')]);
}

/**
 * Inherited entries ({path, same}) written out whole from the previous
 * level's (already whole), so every seed is complete on its own and the
 * restore oracle, which reads entries from the text, sees each path's type.
 */
function wholeEntries(m, previous) {
  m.entries = m.entries.map((e) => {
    if (e.same !== true) return e;
    const { read: _read, ...rest } = previous.get(e.path);
    return rest.type === 'file' ? { ...rest, read: false } : rest;
  });
  previous.clear();
  for (const e of m.entries) previous.set(e.path, e);
}

function normalize(text, index, previous) {
  const m = parseManifest(text);
  wholeEntries(m, previous);
  const when = new Date((FIXED_SECONDS + index * 3600) * 1000).toISOString();
  m.header.started = when;
  m.header.chainStarted = new Date(FIXED_SECONDS * 1000).toISOString();
  m.header.source = { ...m.header.source, path: '/fuzz/source' };
  m.entries.forEach((e, i) => {
    if (e.mtimeNs !== undefined) e.mtimeNs = `${FIXED_SECONDS + i}123456789`;
    if (e.ctimeNs !== undefined) e.ctimeNs = `${FIXED_SECONDS + i}000000001`;
    if (e.ino !== undefined) e.ino = String(1000 + i);
  });
  m.trailer.finished = new Date((FIXED_SECONDS + index * 3600 + 60) * 1000).toISOString();
  return seal([m.header, ...m.entries].map((l) => `${JSON.stringify(l)}\n`).join(''), m.trailer);
}

/** Builds the store under `dir`; returns its path and its manifests (oldest first). */
async function buildManifestSeeds(backupLib, dir) {
  const rng = new Rng(0xbac);
  const src = join(dir, 'seed-source');
  const store = join(dir, 'seed-store');
  rmSync(src, { recursive: true, force: true });
  rmSync(store, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  writeTree(src, rng);
  await backupLib.backup(src, store, { name: NAME, blockSize: 512 });
  // Level 1: an edit inside big.bin (a delta), a new file, a deleted one.
  const big = readFileSync(join(src, 'big.bin'));
  rng.bytes(64).copy(big, 9000);
  writeFileSync(join(src, 'big.bin'), big);
  writeFileSync(join(src, 'new.txt'), 'new\n');
  rmSync(join(src, 'dir', 'inner.txt'));
  utimesSync(join(src, 'dir'), FIXED_SECONDS, FIXED_SECONDS);
  await backupLib.backup(src, store, { name: NAME });
  // Level 2: big.bin's recipe grows to three steps.
  appendFileSync(join(src, 'big.bin'), rng.bytes(700));
  appendFileSync(join(src, 'a.txt'), 'more\n');
  await backupLib.backup(src, store, { name: NAME });

  const chainDir = join(store, 'backups', NAME, 'chain-000001');
  const manifests = [];
  const previous = new Map();
  readdirSync(chainDir).sort().forEach((id, index) => {
    const path = join(chainDir, id, 'manifest.jsonl');
    const text = normalize(manifestTextOf(readFileSync(path)), index, previous);
    writeFileSync(path, text);
    manifests.push({ id, key: `${NAME}/chain-000001/${id}/manifest.jsonl`, text });
  });
  return { store, manifests, name: NAME };
}

module.exports = { buildManifestSeeds };
