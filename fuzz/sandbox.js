'use strict';
// The directory a restore case runs in: the store, TARGETs, and sentinels
// beside them (a file and a directory that hostile symlinks and hard links
// aim at). A snapshot of everything but the TARGETs, taken before and
// after, shows any write, chmod, chown, utime or link outside TARGET:
// ctime and the link count change with all of them.
const { createHash } = require('node:crypto');
const { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const SENTINEL_TIME = 1234567890;

/** rm -rf that also gets through directories a restored manifest left without write or search permission. */
function forceRemove(dir) {
  const open = (path) => {
    let s;
    try {
      s = lstatSync(path);
    } catch {
      return;
    }
    if (!s.isDirectory()) return;
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) open(join(path, name));
  };
  open(dir);
  rmSync(dir, { recursive: true, force: true });
}

function makeSandbox(dir) {
  forceRemove(dir);
  mkdirSync(join(dir, 'sentinel', 'dir'), { recursive: true });
  mkdirSync(join(dir, 'dir-beside'));
  const files = { 'sentinel/file': 'sentinel file\n', 'sentinel/dir/inner': 'inner\n', 'file-beside': 'beside\n', 'dir-beside/inner': 'inner\n' };
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text, { mode: 0o640 });
  for (const path of ['sentinel/file', 'file-beside']) chmodSync(join(dir, path), 0o640);
  for (const path of ['sentinel/dir', 'dir-beside', 'sentinel']) {
    chmodSync(join(dir, path), 0o750);
    utimesSync(join(dir, path), SENTINEL_TIME, SENTINEL_TIME);
  }
  for (const path of Object.keys(files)) utimesSync(join(dir, path), SENTINEL_TIME, SENTINEL_TIME);
}

function describe(abs, withCtime) {
  const s = lstatSync(abs, { bigint: true });
  const type = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFIFO() ? 'fifo' : s.isFile() ? 'file' : 'other';
  const d = { type, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), nlink: Number(s.nlink), mtimeNs: s.mtimeNs.toString() };
  if (withCtime) d.ctimeNs = s.ctimeNs.toString();
  if (type === 'file') {
    const data = readFileSync(abs);
    d.size = data.length;
    d.sha256 = createHash('sha256').update(data).digest('hex');
  }
  if (type === 'symlink') d.target = readlinkSync(abs);
  return d;
}

/** path -> state for a tree (no symlink followed); `skip(name)` leaves top-level names out. */
function snapshot(root, { skip = () => false, withCtime = true } = {}) {
  const out = {};
  const visit = (abs, rel) => {
    const d = describe(abs, withCtime);
    out[rel || '.'] = d;
    if (d.type !== 'dir') return;
    for (const name of readdirSync(abs).sort()) {
      if (rel === '' && skip(name)) continue;
      visit(join(abs, name), rel ? `${rel}/${name}` : name);
    }
  };
  visit(root, '');
  return out;
}

/** What changed between two snapshots, as readable lines. */
function diffSnapshots(before, after) {
  const lines = [];
  for (const path of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[path];
    const b = after[path];
    if (!a) lines.push(`'${path}' appeared (${b.type})`);
    else if (!b) lines.push(`'${path}' disappeared`);
    else {
      const changed = Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);
      if (changed.length) lines.push(`'${path}' changed: ${changed.map((k) => `${k} ${a[k]} -> ${b[k]}`).join(', ')}`);
    }
  }
  return lines;
}

module.exports = { makeSandbox, forceRemove, snapshot, diffSnapshots };
