// One process of the engine soak (backup-soak.test.ts): for SECONDS it runs,
// all at once on one store, backups of two names (their sources changed
// between backups, some backups aborted at a random moment), prunes,
// verifies, restores (each compared with the source as it was backed up,
// some aborted) and lists. Several such processes share the store. It
// prints one JSON line: outcomes per operation, anything unexpected, and
// RSS half-way and at the end (after a GC).
// Usage: node --expose-gc engine-soak.js DIST STORE WORKDIR SECONDS SEED TAG
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const [dist, store, work, secondsText, seedText, tag] = process.argv.slice(2);
const { backup, restore, verify, prune, list } = require(path.join(dist, 'backup'));
const seconds = Number(secondsText);
let seed = Number(seedText) >>> 0 || 1;
function random(n) {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}
function bytes(n) {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = random(256);
  return out;
}

/** What a restore must reproduce: type, mode, size, content and target of every path. */
function snapshot(root) {
  const out = {};
  const visit = (abs, rel) => {
    const s = fs.lstatSync(abs);
    const type = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file';
    const state = { type, mode: s.mode & 0o7777 };
    if (type === 'file') state.sha256 = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    if (type === 'symlink') state.target = fs.readlinkSync(abs);
    out[rel || '.'] = state;
    if (type === 'dir') for (const name of fs.readdirSync(abs).sort()) visit(path.join(abs, name), rel ? `${rel}/${name}` : name);
  };
  visit(root, '');
  return out;
}

const names = [`a${tag}`, `b${tag}`];
const sources = Object.fromEntries(names.map((n) => [n, path.join(work, n)]));
for (const [n, dir] of Object.entries(sources)) {
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(dir, 'sub', `f${i}`), bytes(500 + random(3000)));
  fs.writeFileSync(path.join(dir, 'big.bin'), bytes(1 << 20));
  fs.symlinkSync('sub/f0', path.join(dir, 'link'));
  void n;
}
function change(dir) {
  for (let k = 0; k < 3; k++) fs.writeFileSync(path.join(dir, 'sub', `f${random(40)}`), bytes(300 + random(4000)));
  const big = fs.readFileSync(path.join(dir, 'big.bin'));
  bytes(8192).copy(big, random(big.length - 8192));
  fs.writeFileSync(path.join(dir, 'big.bin'), big);
  fs.chmodSync(path.join(dir, 'sub', 'f1'), random(2) ? 0o600 : 0o644);
}

/** Source state of each committed backup ("name/chain/id"), and of the one each name is taking now. */
const states = new Map();
const taking = new Map();
const outcomes = {};
const unexpected = [];
const deadline = Date.now() + seconds * 1000;
const EXPECTED = new Set(['BACKUP_LOCKED', 'BACKUP_NOT_FOUND']);
/** Longest any one operation may take before it counts as stuck. */
const WATCHDOG_MS = 120_000;

function count(op, what) {
  outcomes[op] ??= {};
  outcomes[op][what] = (outcomes[op][what] ?? 0) + 1;
}

/** Runs one operation with a watchdog and sorts its outcome. */
async function attempt(op, run, { abortable = false } = {}) {
  const controller = new AbortController();
  const abortAt = abortable && random(5) === 0 ? 5 + random(400) : undefined;
  const timer = abortAt === undefined ? undefined : setTimeout(() => controller.abort(), abortAt);
  let watchdog;
  const stuck = new Promise((_, reject) => (watchdog = setTimeout(() => reject(new Error(`${op} still running after ${WATCHDOG_MS} ms`)), WATCHDOG_MS)));
  try {
    await Promise.race([run(controller.signal), stuck]);
    count(op, 'ok');
  } catch (err) {
    if (controller.signal.aborted && err && err.name === 'AbortError') count(op, 'aborted');
    else if (err && EXPECTED.has(err.code)) {
      count(op, err.code);
      // As a person or a scheduler would: try again a little later, not at once.
      if (err.code === 'BACKUP_LOCKED') await new Promise((resolve) => setTimeout(resolve, 100 + random(300)));
    }
    else {
      count(op, 'unexpected');
      unexpected.push({ op, code: err && err.code, message: String(err && err.message).slice(0, 500) });
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(watchdog);
  }
}

async function backupLoop(name) {
  while (Date.now() < deadline) {
    change(sources[name]);
    taking.set(name, snapshot(sources[name]));
    await attempt(
      'backup',
      async (signal) => {
        const r = await backup(sources[name], store, { name, maxLevel: name.startsWith('a') ? 2 : undefined, blockSize: 4096, signal });
        states.set(`${name}/${r.chain}/${r.id}`, taking.get(name));
      },
      { abortable: true },
    );
    taking.delete(name);
  }
}

async function restoreLoop(name) {
  let n = 0;
  while (Date.now() < deadline) {
    const target = path.join(work, `restore-${name}-${n++}`);
    await attempt(
      'restore',
      async (signal) => {
        const r = await restore(store, target, { name, signal });
        const key = `${name}/${r.chain}/${r.id}`;
        // Committed a moment ago by a backup of ours that has not returned yet: its source is still as it was taken.
        const expected = states.get(key) ?? taking.get(name);
        const got = snapshot(target);
        if (JSON.stringify(got) !== JSON.stringify(expected)) throw Object.assign(new Error(`restore of ${key} differs from its source`), { code: 'WRONG_RESTORE' });
      },
      { abortable: true },
    );
    fs.rmSync(target, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, random(400)));
  }
}

async function verifyLoop() {
  while (Date.now() < deadline) {
    await attempt('verify', async (signal) => {
      const report = await verify(store, { signal });
      if (!report.ok) throw Object.assign(new Error(`verify found problems: ${JSON.stringify(report.problems.slice(0, 3))}`), { code: 'VERIFY_PROBLEMS' });
    });
    await new Promise((resolve) => setTimeout(resolve, random(600)));
  }
}

async function pruneLoop() {
  while (Date.now() < deadline) {
    await attempt('prune', () => prune(store, { keepChains: 2 }));
    await new Promise((resolve) => setTimeout(resolve, 100 + random(300)));
  }
}

async function listLoop() {
  while (Date.now() < deadline) {
    await attempt('list', () => list(store, {}));
    await new Promise((resolve) => setTimeout(resolve, random(200)));
  }
}

function rssAfterGc() {
  global.gc?.();
  return process.memoryUsage().rss;
}

async function main() {
  let warm;
  // Warm once half the time is gone: caches, pools and the heap have grown to what the work needs by then.
  const warmUp = setTimeout(() => (warm = rssAfterGc()), (seconds * 1000) / 2);
  await Promise.all([...names.map(backupLoop), ...names.map(restoreLoop), verifyLoop(), pruneLoop(), listLoop()]);
  clearTimeout(warmUp);
  process.stdout.write(`${JSON.stringify({ outcomes, unexpected, rss: { warm, end: rssAfterGc() } })}\n`);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ outcomes, unexpected: [...unexpected, { op: 'soak', message: String(err && err.stack) }] })}\n`);
});
