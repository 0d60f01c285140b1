'use strict';
// The backup benchmark's tools: how each one is installed, initialises a
// store, backs a tree up, restores the newest backup (or ours a given level)
// and where the restored tree lands. Every command is one process run by the
// caller under /usr/bin/time -v; secrets go through files or the environment,
// never argv.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { join } = require('node:path');

const CLI = join(__dirname, '..', 'bin', 'librsync.js');

const onPath = (command) => spawnSync('/bin/sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
const firstLine = (command, args) => {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.error ? 'unknown' : `${r.stdout}${r.stderr}`.trim().split('\n')[0];
};

/**
 * Each tool: id, title, the Debian package, the command that must be on
 * PATH, version(), and for a work directory `w` (its own store, cache and
 * secrets under w.dir, and w.lastLevel the level of its newest backup): init(w) (untimed commands), backup(w, src, level),
 * restore(w, target, level?) and restoredRoot(w, target, src); secondsApart when
 * two of its backups may not start within one second (it names them by the second).
 * A command is { cmd, args, env?, cwd? }.
 */
const TOOLS = [
  {
    id: 'rdiff-backup',
    title: 'rdiff-backup',
    package: 'rdiff-backup',
    command: 'rdiff-backup',
    secondsApart: true,
    version: () => firstLine('rdiff-backup', ['--version']),
    init: () => [],
    backup: (w, src) => ({ cmd: 'rdiff-backup', args: ['backup', src, w.store] }),
    restore: (w, target) => ({ cmd: 'rdiff-backup', args: ['restore', '--at', 'now', w.store, target] }),
    restoredRoot: (w, target) => target,
  },
  {
    id: 'duplicity',
    title: 'duplicity (no encryption)',
    package: 'duplicity',
    command: 'duplicity',
    secondsApart: true,
    version: () => firstLine('duplicity', ['--version']),
    init: () => [],
    // its local signature cache lives in the work directory, outside the store it is measured by
    backup: (w, src, level) => ({
      cmd: 'duplicity',
      args: [level === 0 ? 'full' : 'incremental', '--no-encryption', '--archive-dir', join(w.dir, 'cache'), '--name', 'bench', src, `file://${w.store}`],
    }),
    restore: (w, target) => ({ cmd: 'duplicity', args: ['restore', '--no-encryption', '--archive-dir', join(w.dir, 'cache'), '--name', 'bench', `file://${w.store}`, target] }),
    restoredRoot: (w, target) => target,
  },
  {
    id: 'restic',
    title: 'restic (encrypted, compression auto)',
    package: 'restic',
    command: 'restic',
    version: () => firstLine('restic', ['version']).replace(/ compiled with .*/, ''),
    init: (w) => {
      fs.writeFileSync(join(w.dir, 'password'), 'bench-backup-password\n', { mode: 0o600 });
      return [{ cmd: 'restic', args: ['init', '--repository-version', '2'], env: resticEnv(w) }];
    },
    backup: (w, src) => ({ cmd: 'restic', args: ['backup', '--compression', 'auto', '--quiet', src], env: resticEnv(w) }),
    restore: (w, target) => ({ cmd: 'restic', args: ['restore', 'latest', '--target', target], env: resticEnv(w) }),
    // restic restores the absolute path under the target
    restoredRoot: (w, target, src) => join(target, src),
  },
  {
    id: 'borg',
    title: 'borg (no encryption, lz4)',
    package: 'borgbackup',
    command: 'borg',
    version: () => firstLine('borg', ['--version']),
    init: (w) => [{ cmd: 'borg', args: ['init', '--encryption', 'none', w.store], env: borgEnv(w) }],
    backup: (w, src, level) => ({ cmd: 'borg', args: ['create', '--compression', 'lz4', `${w.store}::level-${level}`, src], env: borgEnv(w) }),
    // borg extracts into the working directory, leading slash stripped
    restore: (w, target) => {
      fs.mkdirSync(target, { recursive: true });
      return { cmd: 'borg', args: ['extract', `${w.store}::level-${w.lastLevel}`], env: borgEnv(w), cwd: target };
    },
    restoredRoot: (w, target, src) => join(target, src.replace(/^\/+/, '')),
  },
  {
    id: 'ours',
    title: 'librsync backup',
    package: undefined,
    command: undefined,
    version: () => `librsync ${require('../package.json').version} (${firstLine('git', ['-C', join(__dirname, '..'), 'rev-parse', '--short', 'HEAD'])})`,
    init: () => [],
    backup: (w, src) => ({ cmd: process.execPath, args: [CLI, 'backup', src, w.store, '--name', 'bench', '--no-progress'] }),
    restore: (w, target, level) => ({
      cmd: process.execPath,
      args: [CLI, 'restore', w.store, target, '--name', 'bench', '--no-progress', ...(level === undefined ? [] : ['--level', String(level)])],
    }),
    restoredRoot: (w, target) => target,
  },
];

function resticEnv(w) {
  return { RESTIC_REPOSITORY: w.store, RESTIC_PASSWORD_FILE: join(w.dir, 'password'), RESTIC_CACHE_DIR: join(w.dir, 'cache') };
}

function borgEnv(w) {
  // keys, security and cache directories in the work directory, not the user's home
  return { BORG_BASE_DIR: w.dir, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
}

/**
 * The peers among `ids` that are missing: installed with apt-get when this
 * process runs as root (once), else listed. Returns { missing, installed, log }.
 */
function ensurePeers(ids, { install }) {
  const peers = TOOLS.filter((t) => ids.includes(t.id) && t.command);
  const absent = () => peers.filter((t) => !onPath(t.command));
  const before = absent();
  const log = [];
  if (before.length && install && process.getuid?.() === 0) {
    const packages = before.map((t) => t.package);
    console.error(`# installing ${packages.join(' ')} (apt-get)`);
    const r = spawnSync('apt-get', ['install', '-y', ...packages], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    log.push(`apt-get install -y ${packages.join(' ')}: exit ${r.status}`);
    if (r.status !== 0) log.push(r.stderr.trim().split('\n').slice(-3).join(' '));
  }
  const missing = absent();
  return { missing: missing.map((t) => t.id), installed: before.filter((t) => !missing.includes(t)).map((t) => t.id), log };
}

module.exports = { TOOLS, ensurePeers, onPath };
