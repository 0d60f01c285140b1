#!/usr/bin/env node
'use strict';
// node fuzz/backup-regressions.js [K1 K2 ...] [--keep DIR]
// The lib/backup bugs the fuzzer found (K1-K12, all fixed), each as one
// minimal re-sealed manifest and the call that went wrong. Each runs in its
// own process, since K2 aborted it and K7 never returned. Exits 1 if any of
// them reproduces again (test/fuzz-backup-regressions.test.ts runs it).
const { spawnSync } = require('node:child_process');
const { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { parseManifest, seal } = require('./manifest-seal');

const MANIFEST = 'store/backups/n/chain-000001/000000-L0/manifest.jsonl';

/** Edits of the manifest of a one-level backup of { a.txt, b.txt, d/, d/c.txt, l -> a.txt }, and what to call. */
const REPROS = {
  K1: {
    edit: (m, file) => {
      // 'a' sorts before 'a.txt': a symlink out of TARGET carrying a.txt's hash; a.txt a hard link to it.
      m.entries.splice(1, 0, { path: 'a', mode: 0o777, uid: 0, gid: 0, mtimeNs: '1000000000000000000', type: 'symlink', target: '../outside', sha256: file('a.txt').sha256, hardLinked: true, links: 2 });
      Object.assign(file('a.txt'), { linkTo: 'a', mode: 0o777 });
    },
    call: 'restore',
    check: (dir) => `outside file mode ${(statSync(join(dir, 'outside')).mode & 0o7777).toString(8)} (was 600)`,
  },
  K2: { edit: (m, file) => (file('b.txt').mode = 2 ** 32 - 1), call: 'restore' },
  K3: { edit: (m, file) => (file('b.txt').uid = 2 ** 32), call: 'restore', note: 'as root (otherwise the owner is not set)' },
  K4: { edit: (m, file) => (file('b.txt').mtimeNs = '9223372036854775808'), call: 'restore' },
  K5: { edit: (m, file) => (file('l').target = 'a\u0000b'), call: 'restore' },
  K6: { edit: (m, file) => (file('d').recipe = false), call: 'restore' },
  K7: { edit: (m) => (m.header.parent = m.header.id), call: 'verify' },
  K8: { edit: (m) => (m.trailer.finished = 'not a date'), call: 'list' },
  K9: { edit: (m, file) => (file('b.txt').recipe[0].pack = '..'), call: 'restore' },
  K10: { edit: (m, file) => (file('b.txt').linkTo = null), call: 'listFiles' },
  K11: { edit: (m) => (m.header.source = null), call: 'list' },
  // The original trailer line twice: the first one checks out, the second finds the digest finalized.
  K12: { edit: (m) => m.entries.push({ ...m.trailer }), call: 'listFiles' },
};

/** What each was, and what its return would look like (besides a hang, a dead process, an untyped error). */
const FOUND = {
  K1: {
    summary: "restore hard-links a file entry to a symlink (or FIFO) entry named by linkTo when both carry the same sha256, then chmod/utimes follow the link: a file outside TARGET gets the entry's mode and mtime",
    problem: /outside TARGET|is a (symlink|fifo|dir) in TARGET, a file in the manifest|ENOENT|restore different trees/,
  },
  K2: {
    summary: 'a mode from 2^31 to 2^32-1 aborts the whole process (Node asserts in fs.promises.chmod); from 2^32 up it is an untyped RangeError',
    problem: /worker died \(SIGABRT\)|"mode" is out of range/,
  },
  K3: {
    summary: 'as root, a uid or gid from 2^32 up is an untyped RangeError from lchown, and 2^32-1 (chown\'s "leave alone") restores without setting the owner',
    problem: /"uid" is out of range|"gid" is out of range|is owned by/,
  },
  K4: {
    summary: 'an mtimeNs outside 64 bits (a string, or a number: the pattern check stringifies it) passes validation and setFileTimes throws a TypeError (code RS_PARAM_ERROR, not a LibrsyncError)',
    problem: /mtimeNs is out of range/,
  },
  K5: {
    summary: 'a symlink target holding a NUL byte passes validation; symlink() throws an untyped TypeError (ERR_INVALID_ARG_VALUE)',
    problem: /ERR_INVALID_ARG_VALUE/,
  },
  K6: {
    summary: 'a recipe that is not an array on a non-file entry passes validation; restore iterates it: untyped TypeError',
    problem: /is not iterable/,
  },
  K7: {
    summary: "a header whose parent is itself or a later backup (a cycle) makes ancestry() loop for ever: restore and verify hang, memory growing",
    problem: /hang/,
  },
  K8: {
    summary: "a trailer 'finished' (or header 'started') that is not a date makes list() throw an untyped RangeError (Invalid time value)",
    problem: /Invalid time value/,
  },
  K9: {
    summary: "a recipe step or signature naming an unsafe pack or backup ('..', '', '/x') fails with RS_PARAM_ERROR (invalid store key) rather than BACKUP_CORRUPT; one holding a NUL byte with an untyped TypeError from open()",
    problem: /invalid store key|ERR_INVALID_ARG_VALUE\): The argument 'path'/,
  },
  K10: {
    summary: 'linkTo: null (or another non-string) reaches isSafeRelativePath: untyped TypeError in listFiles, verify and restore',
    problem: /Cannot read properties of null|is not a function|\.split is not/,
  },
  K11: {
    summary: "a header whose 'source' is not an object (null) passes validation: list() and restore throw an untyped TypeError reading source.path / source.kind",
    problem: /reading 'path'|reading 'kind'/,
  },
  K12: {
    summary: 'a valid trailer line followed by another trailer line: the reader finalizes its digest at the first and updates it at the second: untyped Error ERR_CRYPTO_HASH_FINALIZED (Digest already called) from listFiles, verify and restore',
    problem: /Digest already called/,
  },
};

async function build(dir, id) {
  const backupLib = require('../dist/backup/index.js');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src', 'd'), { recursive: true });
  writeFileSync(join(dir, 'src', 'a.txt'), 'hello\n');
  writeFileSync(join(dir, 'src', 'b.txt'), 'bye\n');
  writeFileSync(join(dir, 'src', 'd', 'c.txt'), 'c\n');
  symlinkSync('a.txt', join(dir, 'src', 'l'));
  writeFileSync(join(dir, 'outside'), 'outside TARGET\n', { mode: 0o600 });
  chmodSync(join(dir, 'outside'), 0o600);
  await backupLib.backup(join(dir, 'src'), join(dir, 'store'), { name: 'n' });
  const path = join(dir, MANIFEST);
  const m = parseManifest(readFileSync(path, 'utf8'));
  REPROS[id].edit(m, (p) => m.entries.find((e) => e.path === p));
  writeFileSync(path, seal([m.header, ...m.entries].map((l) => `${JSON.stringify(l)}\n`).join(''), m.trailer));
}

/** In a child: build, call, print what happened as one JSON line. */
async function runOne(id, dir) {
  const backupLib = require('../dist/backup/index.js');
  await build(dir, id);
  const store = join(dir, 'store');
  const calls = {
    restore: () => backupLib.restore(store, join(dir, 'target')),
    verify: () => backupLib.verify(store),
    list: () => backupLib.list(store),
    listFiles: async () => {
      for await (const _ of backupLib.listFiles(store)) void _;
    },
  };
  let outcome;
  try {
    await calls[REPROS[id].call]();
    outcome = 'succeeded';
  } catch (err) {
    outcome = `${err instanceof backupLib.LibrsyncError ? 'LibrsyncError' : `untyped ${err.name}`} ${err.code}: ${String(err.message).slice(0, 200)}`;
  }
  if (REPROS[id].check) outcome += `; ${REPROS[id].check(dir)}`;
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

function main() {
  const args = process.argv.slice(2);
  const keepAt = args.indexOf('--keep');
  const root = resolve(keepAt >= 0 ? args.splice(keepAt, 2)[1] : '/tmp/librsync-backup-repros');
  if (args[0] === '--child') return runOne(args[1], args[2]);
  const ids = args.length ? args : Object.keys(REPROS);
  let open = 0;
  for (const id of ids) {
    const issue = FOUND[id];
    const dir = join(root, id);
    const r = spawnSync(process.execPath, [__filename, '--child', id, dir], { encoding: 'utf8', timeout: 10000 });
    const got = r.error?.code === 'ETIMEDOUT' ? 'no answer within 10 s (hang)' : r.signal ? `the process died of ${r.signal}: ${r.stderr.split('\n').find((l) => /Assertion|Error/.test(l)) ?? ''}` : JSON.parse(r.stdout || '"(no output)"');
    const reproduces = issue.problem.test(got) || /hang|died|untyped|RS_PARAM_ERROR|mode 777/.test(got);
    if (reproduces) open++;
    process.stdout.write(`${id} ${reproduces ? 'REPRODUCES' : 'does not reproduce'}: ${issue.summary}\n  ${REPROS[id].call}() on ${join(dir, MANIFEST)}${REPROS[id].note ? ` (${REPROS[id].note})` : ''}\n  got: ${got}\n`);
  }
  process.exitCode = open ? 1 : 0;
}

Promise.resolve(main()).catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 2;
});
