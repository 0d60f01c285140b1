// The backup commands through the real CLI: a backup picked by the ID list
// shows (--backup CHAIN/ID, since ids repeat in every chain), the sizes a
// backup stored reported under the same names in text, JSON and list, and
// counts in the singular when there is one.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

function json(stdout: Buffer): Record<string, any> {
  return JSON.parse(stdout.toString());
}

describeNative('backup CLI: --backup CHAIN/ID, stored sizes, counts', () => {
  const scratch = scratchDir('librsync-backup-cli-selection-');
  const cwd = scratch.dir;
  const cli = (...args: string[]) => runCli(args, { cwd });
  afterAll(() => scratch.remove());

  /** Two chains of two levels each: the same four ids... twice each. */
  beforeAll(() => {
    mkdirSync(scratch.path('src'));
    writeFileSync(scratch.path('src/same.txt'), 'unchanged\n');
    for (const [version, level] of [['v1', '0'], ['v2', '1'], ['v3', '0'], ['v4', '1']]) {
      writeFileSync(scratch.path('src/v.txt'), `${version}\n`);
      expect(cli('backup', 'src', 'store', '--name', 'n', '--level', level).status).toBe(0);
    }
  });

  it('lists each backup by the ID --backup takes, and restore, list --files and verify pick it', () => {
    const listed = cli('list', 'store').stdout.toString();
    expect(listed).toMatch(/\n  chain-000001\n    chain-000001\/000000-L0  level 0 .*\n    chain-000001\/000001-L1  level 1 .*\n  chain-000002\n    chain-000002\/000000-L0  level 0 /);

    const restored = cli('restore', 'store', 'out-a', '--backup', 'chain-000001/000001-L1');
    expect(restored.status).toBe(0);
    expect(restored.stdout.toString()).toMatch(/^restored n chain-000001\/000001-L1 \(level 1\) into out-a: /);
    expect(readFileSync(scratch.path('out-a/v.txt'), 'utf8')).toBe('v2\n');
    const older = cli('restore', 'store', 'out-b', '--backup=chain-000001/000000-L0', '--json');
    expect(json(older.stdout)).toMatchObject({ ok: true, chain: 'chain-000001', id: '000000-L0', level: 0 });
    expect(readFileSync(scratch.path('out-b/v.txt'), 'utf8')).toBe('v1\n');

    const files = cli('list', 'store', '--files', '--backup', 'chain-000002/000000-L0', '--json');
    expect(files.status).toBe(0);
    const entries = files.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.find((e) => e.path === 'v.txt').size).toBe(3);
    expect(entries.pop()).toEqual({ ok: true, command: 'list', entries: 3 });

    const verified = cli('verify', 'store', '--backup', 'chain-000002/000001-L1', '--json');
    expect(verified.status).toBe(0);
    expect(json(verified.stdout).backups).toEqual(['n/chain-000002/000000-L0', 'n/chain-000002/000001-L1']);
    const text = cli('verify', 'store', '--backup', 'chain-000001/000000-L0');
    expect(text.stdout.toString()).toMatch(/^verified 1 backup: \d+ stored pieces, /);
  });

  it('an ID that is not in the store is BACKUP_NOT_FOUND (exit 100) naming it', () => {
    for (const args of [
      ['restore', 'store', 'out-none', '--backup', 'chain-000003/000000-L0'],
      ['verify', 'store', '--backup', 'chain-000003/000000-L0'],
      ['list', 'store', '--files', '--backup', 'chain-000003/000000-L0'],
    ]) {
      const result = cli(...args);
      expect({ args, status: result.status }).toEqual({ args, status: 100 });
      expect(result.stderr).toBe("librsync: no backup chain-000003/000000-L0 of 'n'\n");
    }
    const json = cli('restore', 'store', 'out-none', '--backup', 'chain-000001/000002-L2', '--json');
    expect(JSON.parse(json.stdout.toString()).error).toEqual({ code: 'BACKUP_NOT_FOUND', message: "no backup chain-000001/000002-L2 of 'n'", exitCode: 100 });
  });

  it('--backup with --level or --at, or a malformed ID, is a usage error (101)', () => {
    const cases: [string[], string][] = [
      [['restore', 'store', 'x', '--backup', 'chain-000001/000000-L0', '--level', '0'], 'choose one of --backup and --level: each picks the backup'],
      [['restore', 'store', 'x', '--at', '1d', '--backup', 'chain-000001/000000-L0'], 'choose one of --backup and --at: each picks the backup'],
      [['restore', 'store', 'x', '--level', '1', '--at', '1d'], 'choose one of --level and --at: each picks the backup'],
      [['verify', 'store', '--backup', 'chain-000001/000000-L0', '--level', '1'], 'choose one of --backup and --level: each picks the backup'],
      [['list', 'store', '--files', '--level', '1', '--backup', 'chain-000001/000000-L0'], 'choose one of --backup and --level: each picks the backup'],
      [['list', 'store', '--backup', 'chain-000001/000000-L0'], 'list: --backup goes with --files (it picks the backup whose files are listed)'],
      [
        ['restore', 'store', 'x', '--backup', '000001-L1'],
        "--backup: invalid backup '000001-L1': expected CHAIN/ID as list shows it, such as chain-000002/000001-L1",
      ],
      [['verify', 'store', '--backup', 'chain-1/000001-L1'], "--backup: invalid backup 'chain-1/000001-L1': expected CHAIN/ID as list shows it, such as chain-000002/000001-L1"],
      [['backup', 'src', 'store', '--backup', 'chain-000001/000000-L0'], '--backup is not an option of backup'],
    ];
    for (const [args, message] of cases) {
      const result = cli(...args);
      expect({ args, status: result.status }).toEqual({ args, status: 101 });
      expect(result.stderr).toBe(`librsync: ${message}\nTry 'librsync ${args[0]} --help' for more information.\n`);
    }
  });

  it('an ID left by an interrupted backup is BACKUP_NOT_FOUND saying it was never committed', () => {
    const leftover = join(cwd, 'store', 'backups', 'n', 'chain-000002', '000002-L2');
    mkdirSync(leftover, { mode: 0o700 });
    try {
      const result = cli('restore', 'store', 'out-leftover', '--backup', 'chain-000002/000002-L2');
      expect(result.status).toBe(100);
      expect(result.stderr).toBe("librsync: no backup chain-000002/000002-L2 of 'n': it was never committed (an interrupted backup)\n");
    } finally {
      rmSync(leftover, { recursive: true });
    }
  });

  it('backup reports the bytes it stored under the same names in its text, its JSON and list', () => {
    writeFileSync(scratch.path('src/v.txt'), 'v5\n');
    const text = cli('backup', 'src', 'store', '--name', 'n');
    expect(text.status).toBe(0);
    const [, stored, packs, manifest] = /\n  stored (\d+) \([\d.]+ KiB\): packs (\d+), manifest (\d+)\n$/.exec(text.stdout.toString())!.map(Number);
    expect(stored).toBe(packs + manifest);
    const listed = json(cli('list', 'store', '--json').stdout).names[0].chains[1].backups[2];
    expect(listed).toMatchObject({ id: '000002-L2', storedBytes: stored, packBytes: packs, manifestBytes: manifest, counts: { bytesStored: packs } });
    // The same numbers in a backup's own JSON.
    writeFileSync(scratch.path('src/v.txt'), 'v6\n');
    const summary = json(cli('backup', 'src', 'store', '--name', 'n', '--json').stdout);
    const again = json(cli('list', 'store', '--json').stdout).names[0].chains[1].backups[3];
    expect(summary.storedBytes).toBe(summary.packBytes + summary.manifestBytes);
    expect(summary).toMatchObject({ storedBytes: again.storedBytes, packBytes: again.packBytes, manifestBytes: again.manifestBytes, counts: { bytesStored: again.packBytes } });
    expect(summary.manifestBytes).toBeGreaterThan(0);
  });

  it('says "1 file", "1 directory", "1 backup", "1 chain", "1 live path differs"', () => {
    mkdirSync(scratch.path('one'));
    writeFileSync(scratch.path('one/only.txt'), 'only\n');
    expect(cli('backup', 'one', 'store1').status).toBe(0);
    const restored = cli('restore', 'store1', 'out1');
    expect(restored.stdout.toString()).toMatch(/: 1 file, 0 hard links, 1 directory, 0 symlinks, 0 FIFOs, 5 B, time /);
    expect(cli('list', 'store1').stdout.toString()).toMatch(/  level 0  \S+  1 file \(5 B\), 1 read, 0 deleted, stored /);
    expect(cli('verify', 'store1').stdout.toString()).toMatch(/^verified 1 backup: 2 stored pieces, /);
    writeFileSync(scratch.path('one/only.txt'), 'changed\n');
    const against = cli('verify', 'store1', '--against', 'one');
    expect(against.status).toBe(1);
    expect(against.stdout.toString()).toMatch(/\n1 live path differs from the backup\n$/);
    expect(cli('backup', 'one', 'store1', '--level', '0').status).toBe(0);
    const pruned = cli('prune', 'store1', '--keep-chains', '1');
    expect(pruned.stdout.toString()).toMatch(/^removed one-[0-9a-f]{8} chain-000001: 1 backup, [\d.]+ KiB\nremoved 1 backup \(1 whole chain\), [\d.]+ KiB; kept 1 backup\n$/);
  });

  it('progress counts one file as "1 file"', () => {
    mkdirSync(scratch.path('progress'));
    writeFileSync(scratch.path('progress/one.bin'), Buffer.alloc(1 << 20, 7));
    const backedUp = cli('backup', 'progress', 'store2', '--progress');
    expect(backedUp.status).toBe(0);
    expect(backedUp.stderr).toMatch(/\rbackup: 1 file, /);
    const restored = cli('restore', 'store2', 'out2', '--progress');
    expect(restored.status).toBe(0);
    expect(restored.stderr).toMatch(/\rrestore: 1 file, 0 B \/ 1\.0 MiB \(0%\)/);
    const verified = cli('verify', 'store2', '--progress');
    expect(verified.stderr).toMatch(/\rverify: 1 stored piece, /);
    for (const r of [backedUp, restored, verified]) expect(r.stderr).not.toMatch(/\b1 files\b/);
  });
});
