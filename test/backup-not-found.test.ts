// No silent success: a name, level, time, path or store that does not exist
// is BACKUP_NOT_FOUND (exit 100) in every command, saying what there is
// instead; verify of a store with nothing committed does not pass; and the
// default name does not depend on the path SOURCE was reached by.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../lib/backup';
import { RunResult, runCli } from './support/cli';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

function json(r: RunResult): Record<string, any> {
  return JSON.parse(r.stdout.toString());
}

describeNative('no silent success', () => {
  const scratch = scratchDir('librsync-not-found-');
  const cwd = scratch.dir;
  const cli = (...args: string[]): RunResult => runCli(args, { cwd });
  afterAll(() => scratch.remove());

  beforeAll(async () => {
    mkdirSync(scratch.path('src'));
    writeFileSync(scratch.path('src/a.txt'), 'a\n');
    await backup(scratch.path('src'), scratch.path('store'), { name: 'real' });
    mkdirSync(scratch.path('empty-store'));
    writeFileSync(scratch.path('empty-store/librsync-backup.json'), '{"format":"librsync-backup","version":1}\n');
  });

  it.each([
    ['verify', ['verify', 'store', '--name', 'wrong']],
    ['list', ['list', 'store', '--name', 'wrong']],
    ['list --files', ['list', 'store', '--name', 'wrong', '--files']],
    ['prune', ['prune', 'store', '--name', 'wrong', '--keep-chains', '1']],
    ['restore', ['restore', 'store', 'out', '--name', 'wrong']],
  ])('%s of a name that does not exist is BACKUP_NOT_FOUND, exit 100, naming what there is', (_what, args) => {
    const text = cli(...args);
    expect(text.status).toBe(100);
    const result = cli(...args, '--json');
    expect(result.status).toBe(100);
    expect(json(result).error).toMatchObject({ code: 'BACKUP_NOT_FOUND', message: expect.stringMatching(/'wrong'.*'real'/) });
  });

  it.each([
    ['a level', ['restore', 'store', 'out', '--level', '7']],
    ['a level (verify)', ['verify', 'store', '--level', '7']],
    ['a level (list --files)', ['list', 'store', '--files', '--level', '7']],
    ['a time before any backup', ['restore', 'store', 'out', '--at', '2001-01-01']],
    ['a path', ['restore', 'store', 'out', '--path', 'no/such/file']],
  ])('%s that does not exist is BACKUP_NOT_FOUND, exit 100', (_what, args) => {
    const result = cli(...args, '--json');
    expect(result.status).toBe(100);
    expect(json(result).error).toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });

  it('a store directory that does not exist says so (exit 100), rather than "not a backup store"', () => {
    for (const command of [['list'], ['verify'], ['restore', '_', 'out'], ['prune', '_', '--keep-chains', '1']]) {
      const args = command.length > 1 ? [command[0], 'no/such/dir', ...command.slice(2)] : [command[0], 'no/such/dir'];
      const result = cli(...args, '--json');
      expect({ command: command[0], status: result.status }).toEqual({ command: command[0], status: 100 });
      expect(json(result).error).toMatchObject({ code: 'BACKUP_NOT_FOUND', message: expect.stringContaining('does not exist') });
    }
    // A directory that exists but is not a store is still that.
    expect(cli('list', 'src', '--json').status).toBe(104);
  });

  it('verify of a store with no backups says so and does not exit 0', () => {
    const result = cli('verify', 'empty-store', '--json');
    expect(result.status).toBe(100);
    expect(json(result).error).toMatchObject({ code: 'BACKUP_NOT_FOUND', message: expect.stringContaining('holds no') });
  });

  it('gives SOURCE one default name whatever path reached it (a symlinked directory above it, ./ and ../)', async () => {
    mkdirSync(scratch.path('real-parent/data'), { recursive: true });
    writeFileSync(scratch.path('real-parent/data/f'), 'f\n');
    symlinkSync(scratch.path('real-parent'), scratch.path('linked-parent'));
    const first = await backup(scratch.path('real-parent/data'), scratch.path('store-names'));
    const viaLink = await backup(scratch.path('linked-parent/data'), scratch.path('store-names'));
    const viaDots = await backup(`${scratch.path('linked-parent')}/./x/../data/`.replace('/x/../', '/data/../'), scratch.path('store-names'));
    expect(viaLink.name).toBe(first.name);
    expect(viaDots.name).toBe(first.name);
    expect([first.level, viaLink.level, viaDots.level]).toEqual([0, 1, 2]);
  });
});
