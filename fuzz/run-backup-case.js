'use strict';
// Runs one manifest or restore case (in the worker process): a copy of the
// seed store with the mutated manifest in place, then list / listFiles /
// verify (manifest target) or restore into a fresh TARGET per backend plus
// verify (restore target). Reports each call's outcome, what changed
// outside the TARGETs, and, for a restore that succeeded, how TARGET
// differs from what the manifest describes.
const { createHash } = require('node:crypto');
const { cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const backupLib = require('../dist/backup/index.js');
const { seal } = require('./manifest-seal');
const { SANDBOX } = require('./manifest-mutations');
const { makeSandbox, snapshot, diffSnapshots } = require('./sandbox');

const BACKENDS = ['native', 'js'];
const isRoot = process.getuid?.() === 0;

function describeError(err) {
  return {
    librsync: err instanceof backupLib.LibrsyncError,
    name: err && err.name,
    code: err && typeof err.code === 'string' ? err.code : undefined,
    result: err && err.result,
    syscall: err && err.syscall,
    message: String(err && err.message).slice(0, 500),
  };
}

async function outcome(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

/** The manifest text the store gets: sandbox path put in, digest recomputed unless the case says not to. */
function manifestText(c, sandbox) {
  const put = (s) => s.split(SANDBOX).join(sandbox);
  const body = put(c.manifest.body);
  if (c.manifest.trailer === null) return body;
  const trailer = JSON.parse(put(JSON.stringify(c.manifest.trailer)));
  return c.manifest.reseal ? seal(body, trailer) : `${body}${JSON.stringify(trailer)}\n`;
}

/** The entries of a manifest restore accepted (undefined if its lines do not even parse: itself a problem). */
function entriesOf(text) {
  try {
    return text.split('\n').slice(0, -1).map((l) => JSON.parse(l)).slice(1, -1);
  } catch {
    return undefined;
  }
}

const TYPE_OF = (s) => (s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFIFO() ? 'fifo' : s.isFile() ? 'file' : 'other');
/** Times the file system can hold (ext4: 1901 to 2446); beyond them the kernel clamps. */
const representable = (ns) => ns >= -(2n ** 31n) * 10n ** 9n && ns < 2n ** 34n * 10n ** 9n;

/** How a restored TARGET differs from the entries of the manifest it was restored from. */
function checkRestoredTree(target, entries, paths) {
  const problems = [];
  // As restore reads --path: './' in front and '/' at the end do not count.
  const selectedPaths = paths?.map((p) => p.replace(/^\.\/+/, '').replace(/\/+$/, '')).map((p) => (p === '.' ? '' : p));
  const within = (p, root) => root === '' || p === root || p.startsWith(`${root}/`);
  const wanted = entries.filter((e) => e.type !== 'deleted' && (!selectedPaths || selectedPaths.some((r) => within(e.path, r) || (e.type === 'dir' && within(r, e.path)))));
  // Paths that share an inode get the metadata of whichever link came last.
  const linked = new Set(entries.flatMap((e) => (e.linkTo !== undefined || e.hardLinked ? [e.path, e.linkTo] : [])));
  for (const e of wanted) {
    const abs = e.path === '' ? target : join(target, ...e.path.split('/'));
    let s;
    try {
      s = lstatSync(abs, { bigint: true });
    } catch {
      problems.push(`'${e.path}' (${e.type}) is missing from TARGET`);
      continue;
    }
    if (TYPE_OF(s) !== e.type) {
      problems.push(`'${e.path}' is a ${TYPE_OF(s)} in TARGET, a ${e.type} in the manifest`);
      continue;
    }
    if (e.type === 'file') {
      // Unreadable (a restored mode 000 when not root): its content cannot be checked here.
      let data;
      try {
        data = readFileSync(abs);
      } catch {
        data = undefined;
      }
      if (data && createHash('sha256').update(data).digest('hex') !== e.sha256) problems.push(`'${e.path}' does not have the content the manifest gives`);
    }
    if (e.type === 'symlink' && readlinkSync(abs) !== e.target) problems.push(`'${e.path}' points elsewhere than the manifest says`);
    if (linked.has(e.path)) continue;
    if (e.type !== 'symlink' && Number(s.mode & 0o7777n) !== (e.mode & 0o7777)) problems.push(`'${e.path}' has mode ${(Number(s.mode) & 0o7777).toString(8)}, manifest ${(e.mode & 0o7777).toString(8)}`);
    const ns = BigInt(e.mtimeNs);
    if (representable(ns) && s.mtimeNs !== ns) problems.push(`'${e.path}' has mtime ${s.mtimeNs}, manifest ${e.mtimeNs}`);
    if (isRoot && (Number(s.uid) !== e.uid || Number(s.gid) !== e.gid)) problems.push(`'${e.path}' is owned by ${s.uid}:${s.gid}, manifest ${e.uid}:${e.gid}`);
  }
  const expected = new Set(wanted.map((e) => e.path));
  const walk = (abs, rel) => {
    let names = [];
    try {
      names = readdirSync(abs);
    } catch {
      // a directory restored without read permission (when not root)
    }
    for (const name of names) {
      const p = rel ? `${rel}/${name}` : name;
      if (!expected.has(p)) problems.push(`'${p}' is in TARGET but not in the manifest`);
      const s = lstatSync(join(abs, name));
      if (s.isDirectory()) walk(join(abs, name), p);
    }
  };
  walk(target, '');
  return problems;
}

/** A tree without times that cannot match across two restores (none, today) for comparing the backends. */
function treeOf(dir) {
  try {
    return snapshot(dir, { withCtime: false });
  } catch (err) {
    return { error: String(err.message) };
  }
}

async function runBackupCase(c, scratch) {
  const sandbox = join(scratch, 'sandbox');
  makeSandbox(sandbox);
  const store = join(sandbox, 'store');
  cpSync(c.seedStore, store, { recursive: true });
  const text = manifestText(c, sandbox);
  writeFileSync(join(store, 'backups', ...c.manifestKey.split('/')), text);
  const outside = (name) => name.startsWith('target-');
  // restore and verify announce themselves in the store (readers/, see README "Locks"): made beforehand, and
  // what happens inside it is theirs to do.
  mkdirSync(join(store, 'readers'), { recursive: true, mode: 0o700 });
  const before = snapshot(sandbox, { skip: outside });
  const result = { calls: {} };

  if (c.target === 'manifest') {
    result.calls.list = await outcome(async () => backupLib.list(store));
    result.calls.listFiles = await outcome(async () => {
      let n = 0;
      for await (const _ of backupLib.listFiles(store, c.options)) n++;
      return n;
    });
  } else {
    for (const backend of BACKENDS) {
      const target = join(sandbox, `target-${backend}`);
      const call = await outcome(async () => {
        const r = await backupLib.restore(store, target, { ...c.options, backend });
        return { id: r.id, files: r.files, warnings: r.warnings.length };
      });
      if (call.ok) {
        const restoredText = readFileSync(join(store, 'backups', c.name, 'chain-000001', call.value.id, 'manifest.jsonl'), 'utf8');
        const entries = entriesOf(restoredText);
        call.treeProblems = entries ? checkRestoredTree(target, entries, c.options.paths) : ['restore accepted a manifest whose lines are not all JSON'];
        call.tree = treeOf(target);
      }
      result.calls[`restore-${backend}`] = call;
    }
  }
  result.calls.verify = await outcome(async () => {
    const r = await backupLib.verify(store);
    return { ok: r.ok, problems: r.problems.map((p) => ({ code: p.code, message: p.message.slice(0, 200) })) };
  });

  const after = snapshot(sandbox, { skip: outside });
  // The sandbox itself gains the TARGETs: only its mode and owner must hold; so for the readers' directory.
  for (const s of [before, after]) {
    s['.'] = { mode: s['.'].mode, uid: s['.'].uid, gid: s['.'].gid };
    const readers = s['store/readers'];
    if (readers) s['store/readers'] = { mode: readers.mode, uid: readers.uid, gid: readers.gid };
    for (const path of Object.keys(s)) if (path.startsWith('store/readers/')) delete s[path];
  }
  result.outsideChanges = diffSnapshots(before, after);
  return result;
}

module.exports = { runBackupCase };
