#!/usr/bin/env node
'use strict';
// node fuzz/backup-repros.js [K1 K2 ...] [--keep DIR]
// One minimal, re-sealed manifest per open lib/backup issue of
// known-issues.js (not fixed here: the engine is being rewritten), and the
// call that goes wrong. Each runs in its own process, since K2 aborts it
// and K7 never returns. Exits 1 while any of them still reproduces.
const { spawnSync } = require('node:child_process');
const { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { KNOWN } = require('./known-issues');
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
    const issue = KNOWN.find((k) => k.id === id);
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
