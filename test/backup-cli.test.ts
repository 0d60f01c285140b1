// The backup commands through the real CLI (a child process): summaries,
// --json, exit statuses, option checking, and a backup killed mid-way
// that leaves every earlier level restorable and is cleaned up next time.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createServer, Server } from 'node:net';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { backup, list, restore } from '../lib/backup';
import { CLI_PATH, runCli, runCliInterrupted } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { snapshotTree } from './support/tree-snapshot';

function json(stdout: Buffer): Record<string, any> {
  return JSON.parse(stdout.toString());
}

/** Every file below `dir`, recursively (relative paths). */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
}

describeNative('backup CLI', () => {
  const scratch = scratchDir('librsync-backup-cli-');
  const cwd = scratch.dir;
  const cli = (...args: string[]) => runCli(args, { cwd });
  afterAll(() => scratch.remove());

  beforeAll(() => {
    mkdirSync(scratch.path('src/dir'), { recursive: true });
    writeFileSync(scratch.path('src/a.bin'), randomBytesSeeded(50_000, 1));
    writeFileSync(scratch.path('src/dir/b.txt'), 'b\n');
  });

  it('backs up, lists, restores, verifies and prunes with text and --json output', () => {
    const first = cli('backup', 'src', 'store', '--name', 'cli', '-b', '2048');
    expect(first.status).toBe(0);
    expect(first.stdout.toString()).toMatch(
      /^backup cli chain-000001\/000000-L0: level 0 \(new chain: first backup of this name\)\n  files read 2, unchanged 0, .*bytes read 50002 .*time [\d.]+ s\n  stored \d+ \([\d.]+ KiB\): packs \d+, manifest \d+\n$/,
    );
    writeFileSync(scratch.path('src/dir/b.txt'), 'b, edited\n');
    const second = cli('backup', 'src', 'store', '--name=cli', '--json');
    expect(second.status).toBe(0);
    expect(json(second.stdout)).toMatchObject({ ok: true, command: 'backup', id: '000001-L1', level: 1, counts: { filesRead: 1, filesUnchanged: 1 } });

    const listed = cli('list', 'store', '--json');
    expect(json(listed.stdout).names[0].chains[0].backups.map((b: { id: string }) => b.id)).toEqual(['000000-L0', '000001-L1']);
    expect(cli('list', 'store').stdout.toString()).toMatch(/cli \(.*src\)\n  chain-000001\n    chain-000001\/000000-L0  level 0 .*\n    chain-000001\/000001-L1  level 1 /);
    const files = cli('list', 'store', '--files', '--level', '0').stdout.toString().trim().split('\n');
    expect(files.map((l) => l.split(/\s+/).pop())).toEqual(['.', 'a.bin', 'dir', 'dir/b.txt']);

    const restored = cli('restore', 'store', 'out', '--json');
    expect(restored.status).toBe(0);
    expect(json(restored.stdout)).toMatchObject({ ok: true, command: 'restore', id: '000001-L1', files: 2 });
    expect(snapshotTree(scratch.path('out'))).toEqual(snapshotTree(scratch.path('src')));
    const again = cli('restore', 'store', 'out', '--json');
    expect(again.status).toBe(100);
    expect(json(again.stdout).error).toMatchObject({ code: 'TARGET_NOT_EMPTY', exitCode: 100 });
    expect(cli('restore', 'store', 'out', '--overwrite', '--level', '0', '--path', 'dir/b.txt').status).toBe(0);
    expect(readFileSync(scratch.path('out/dir/b.txt'), 'utf8')).toBe('b\n');

    expect(cli('verify', 'store').status).toBe(0);
    writeFileSync(scratch.path('src/new.txt'), 'new');
    const against = cli('verify', 'store', '--against', 'src', '--json');
    expect(against.status).toBe(1);
    expect(json(against.stdout).differences).toEqual([{ path: 'new.txt', change: 'added' }]);

    expect(cli('backup', 'src', 'store', '--name', 'cli', '--level', '0').status).toBe(0);
    const pruned = cli('prune', 'store', '--keep-chains', '1', '--json');
    expect(pruned.status).toBe(0);
    expect(json(pruned.stdout).removed.map((r: { chain: string }) => r.chain)).toEqual(['chain-000001']);
  });

  it('exits 106 naming the damage when verify finds a corrupt piece', () => {
    const packs = join(cwd, 'store', 'backups', 'cli', 'chain-000002', '000000-L0');
    const pack = join(packs, readdirSync(packs).find((n) => n.startsWith('d'))!);
    const bytes = readFileSync(pack);
    bytes[100] ^= 0xff;
    writeFileSync(pack, bytes);
    const result = cli('verify', 'store', '--json');
    expect(result.status).toBe(106);
    expect(json(result.stdout).error).toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining('a.bin') });
    const text = cli('verify', 'store');
    expect(text.stdout.toString()).toMatch(/PROBLEM BACKUP_CORRUPT cli chain-000002\/000000-L0: 'a.bin': its data stored by level 0/);
    // ids repeat in every chain: the message names the chain too.
    expect(text.stderr).toMatch(/^librsync: verify found 1 problem; first: cli chain-000002\/000000-L0: 'a.bin': its data stored by level 0/);
  });

  it('checks arguments and options per command', () => {
    expect(cli('backup', 'src').status).toBe(101);
    const foreign = cli('restore', 'store', 'x', '--files');
    expect(foreign.status).toBe(101);
    expect(foreign.stderr).toContain('--files is not an option of restore');
    expect(cli('prune', 'store').status).toBe(101);
    expect(cli('restore', 'store', 'x', '--level', '1', '--at', '1d').status).toBe(101);
    expect(cli('signature', '--name', 'x').status).toBe(101);
    expect(cli('list', 'nowhere', '--json').status).toBe(100);
    expect(cli('list', 'store', '--level', '0').stderr).toContain('--level N goes with --files');
  });

  it('exits 2 with a warning when a file could not be backed up', async () => {
    const src = scratch.path('with-socket');
    mkdirSync(src);
    writeFileSync(join(src, 'ok.txt'), 'ok');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(src, 'sock'), resolve));
    try {
      const result = cli('backup', 'with-socket', 'store2');
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('librsync: warning: sock: skipped: a socket cannot be backed up');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('shows progress on stderr with --progress', () => {
    const result = cli('backup', 'src', 'store3', '--progress');
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/\rbackup: \d+ files?, /);
  });

  it('leaves earlier levels intact when killed mid-backup, and the next run cleans up', async () => {
    const src = scratch.path('killed-src');
    const store = scratch.path('killed-store');
    mkdirSync(src);
    writeFileSync(join(src, 'small.txt'), 'level 0\n');
    await backup(src, store, { name: 'k' });
    const level0 = snapshotTree(src);
    // A file big enough that the backup is surely still writing it when we look.
    writeFileSync(join(src, 'huge.bin'), randomFillSync(Buffer.alloc(96 << 20)));
    const child = spawn(process.execPath, [CLI_PATH, 'backup', src, store, '--name', 'k'], { stdio: 'ignore' });
    const levelDir = join(store, 'backups', 'k', 'chain-000001', '000001-L1');
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Poll (not a timer-based assertion) until a partly written pack exists, then kill.
    for (;;) {
      const partial = existsSync(levelDir) ? readdirSync(levelDir).filter((n) => n.endsWith('.tmp') && n.includes('d000001')) : [];
      if (partial.some((n) => statSync(join(levelDir, n)).size >= 8 << 20)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(levelDir, 'manifest.jsonl'))).toBe(false);

    const before = await list(store, {});
    expect(before.names[0].chains[0].backups.map((b) => b.id)).toEqual(['000000-L0']);
    expect(before.names[0].chains[0].uncommitted).toEqual(['000001-L1']);
    const target = scratch.path('killed-restore');
    await restore(store, target, {});
    expect(snapshotTree(target)).toEqual(level0);

    // The stale lock (dead pid) is taken over and the leftovers go.
    const next = await backup(src, store, { name: 'k' });
    expect(next.id).toBe('000001-L1');
    expect(allFiles(store).filter((p) => p.endsWith('.tmp') || p === 'lock')).toEqual([]);
    expect((await list(store, {})).names[0].chains[0].uncommitted).toEqual([]);
  });

  it('stops cleanly on SIGTERM: exit 143, nothing committed, no leftovers, no lock', async () => {
    const src = scratch.path('term-src');
    mkdirSync(src);
    writeFileSync(join(src, 'big.bin'), randomFillSync(Buffer.alloc(32 << 20)));
    // The signal goes out at the first progress line, before the big file is stored.
    const result = await runCliInterrupted(['backup', 'term-src', 'term-store', '--progress', '--name', 't'], cwd, 'SIGTERM');
    expect(result.status).toBe(143);
    expect(result.stderr).toContain('interrupted by SIGTERM');
    expect(allFiles(scratch.path('term-store'))).toEqual(['librsync-backup.json']);
  });
});
