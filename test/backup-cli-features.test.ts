// The backup features users take for granted, through the real CLI: exclude
// files and markers, retention policies, restore --keep-going, cat and diff;
// every message and exit status here is one the help and README promise.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestEntry, listFiles } from '../lib/backup';
import { RunResult, runCli } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';

function json(r: RunResult): Record<string, any> {
  return JSON.parse(r.stdout.toString());
}

describeNative('backup CLI features', () => {
  const scratch = scratchDir('librsync-cli-features-');
  const cwd = scratch.dir;
  const cli = (...args: string[]): RunResult => runCli(args, { cwd });
  afterAll(() => scratch.remove());

  async function paths(store: string): Promise<string[]> {
    const out: string[] = [];
    for await (const e of listFiles(join(cwd, store), {}) as AsyncIterable<ManifestEntry>) if (e.type !== 'deleted') out.push(e.path);
    return out;
  }

  it('backup reads --exclude-file patterns and leaves out --exclude-if-present and --exclude-caches directories', async () => {
    mkdirSync(scratch.path('ex/logs'), { recursive: true });
    mkdirSync(scratch.path('ex/cache'), { recursive: true });
    mkdirSync(scratch.path('ex/private'), { recursive: true });
    writeFileSync(scratch.path('ex/keep.txt'), 'keep');
    writeFileSync(scratch.path('ex/skip.tmp'), 'tmp');
    writeFileSync(scratch.path('ex/logs/a.log'), 'log');
    writeFileSync(scratch.path('ex/cache/CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n');
    writeFileSync(scratch.path('ex/private/.nobackup'), '');
    writeFileSync(scratch.path('excludes'), '# temporary files\n*.tmp\n\n  /logs  \n');
    const r = cli('backup', 'ex', 'store-ex', '--exclude-file', 'excludes', '--exclude-caches', '--exclude-if-present', '.nobackup');
    expect(r.status).toBe(0);
    expect(await paths('store-ex')).toEqual(['', 'keep.txt']);
    const missing = cli('backup', 'ex', 'store-ex', '--exclude-file', 'no-such-file', '--json');
    expect(missing.status).toBe(100);
    expect(json(missing).error.message).toBe("cannot read exclude file 'no-such-file': no such file");
  });

  describe('with a store of several levels', () => {
    const big = [randomBytesSeeded(200_000, 1)];
    beforeAll(() => {
      mkdirSync(scratch.path('src/sub'), { recursive: true });
      writeFileSync(scratch.path('src/sub/big.bin'), big[0]);
      writeFileSync(scratch.path('src/old.txt'), 'old\n');
      expect(cli('backup', 'src', 'store', '--name', 'n', '-b', '2048').status).toBe(0);
      big.push(Buffer.concat([Buffer.from('head'), big[0]]));
      writeFileSync(scratch.path('src/sub/big.bin'), big[1]);
      writeFileSync(scratch.path('src/new.txt'), 'new\n');
      expect(cli('backup', 'src', 'store', '--name', 'n').status).toBe(0);
    });

    it('cat writes each level\'s version of a file to stdout, byte for byte, and the JSON summary to stderr', () => {
      const newest = cli('cat', 'store', 'sub/big.bin');
      expect(newest.status).toBe(0);
      expect(newest.stdout.equals(big[1])).toBe(true);
      const first = cli('cat', 'store', './sub/big.bin', '--backup', 'chain-000001/000000-L0', '--json');
      expect(first.status).toBe(0);
      expect(first.stdout.equals(big[0])).toBe(true);
      expect(JSON.parse(first.stderr)).toMatchObject({ ok: true, command: 'cat', id: '000000-L0', path: 'sub/big.bin', sha256: createHash('sha256').update(big[0]).digest('hex') });
    });

    it('cat says what is wrong, with the documented exit statuses', () => {
      expect([cli('cat', 'store', 'sub').status, cli('cat', 'store', 'sub', '--json').stderr]).toEqual([108, expect.stringContaining("'sub' is a directory")]);
      expect(cli('cat', 'store', 'nothing/here').status).toBe(100);
      expect(cli('cat', 'store', 'sub/big.bin', '--level', '1', '--at', '1d').status).toBe(101);
    });

    it('diff lists what changed between two backups, one line each, then a summary', () => {
      const r = cli('diff', 'store', 'chain-000001/000000-L0', 'chain-000001/000001-L1');
      expect(r.status).toBe(0);
      expect(r.stdout.toString().split('\n')).toEqual([
        '+ file    new.txt 4 bytes',
        'M file    sub/big.bin (size, content, mtime) 200000 -> 200004 bytes',
        'n chain-000001/000000-L0 -> chain-000001/000001-L1: 1 added, 0 removed, 1 modified, file sizes +8 B',
        '',
      ]);
      const asJson = cli('diff', 'store', 'chain-000001/000001-L1', 'chain-000001/000000-L0', '--json').stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
      expect(asJson.slice(0, -1).map((d) => [d.change, d.path])).toEqual([['removed', 'new.txt'], ['modified', 'sub/big.bin']]);
      expect(asJson[asJson.length - 1]).toMatchObject({ ok: true, command: 'diff', added: 0, removed: 1, modified: 1 });
      expect(cli('diff', 'store', 'chain-000001/000000-L0', 'chain-000009/000000-L0').status).toBe(100);
      expect(cli('diff', 'store', 'yesterday', 'chain-000001/000000-L0').status).toBe(101);
    });

    it('restore --keep-going restores what it can, lists the rest and exits 106; without it the error says it exists', async () => {
      let entry: ManifestEntry | undefined;
      for await (const e of listFiles(scratch.path('store'), { level: 0 })) if (e.path === 'old.txt') entry = e;
      const step = entry!.recipe![0];
      const pack = scratch.path(join('store', 'backups', 'n', 'chain-000001', step.backup, step.pack));
      const bytes = readFileSync(pack);
      bytes[step.offset] ^= 0xff;
      writeFileSync(pack, bytes);
      try {
        const stopped = cli('restore', 'store', 'out-stopped');
        expect(stopped.status).toBe(106);
        expect(stopped.stderr).toMatch(/'old.txt'.*corrupt.*restored before it stopped; --keep-going restores every file that can be/);
        const going = cli('restore', 'store', 'out-going', '--keep-going');
        expect(going.status).toBe(106);
        expect(going.stdout.toString()).toMatch(/NOT RESTORED BACKUP_CORRUPT old.txt: /);
        expect(going.stderr).toContain('1 file not restored: stored data damaged');
        expect(readFileSync(scratch.path('out-going/sub/big.bin')).equals(big[1])).toBe(true);
        const asJson = json(cli('restore', 'store', 'out-json', '--keep-going', '--json'));
        expect(asJson).toMatchObject({ ok: false, error: { code: 'BACKUP_CORRUPT' }, damaged: [{ path: 'old.txt', code: 'BACKUP_CORRUPT' }], files: 2 });
      } finally {
        bytes[step.offset] ^= 0xff;
        writeFileSync(pack, bytes);
      }
    });
  });

  it('prune takes retention policies, lists why each backup stays or goes, and refuses a missing or mixed policy', () => {
    mkdirSync(scratch.path('p'));
    for (let i = 0; i < 4; i++) {
      writeFileSync(scratch.path('p/f'), `v${i}`);
      expect(cli('backup', 'p', 'store-p', '--max-level', '1').status).toBe(0);
    }
    // Chains: 1 = L0, L1; 2 = L0, L1 (all taken now: one hour, one day).
    const dry = cli('prune', 'store-p', '--keep-last', '1', '--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout.toString()).toMatch(/^ {2}keep {3}p-[0-9a-f]{8} chain-000002\/000001-L1  \S+  \(last 1\)\n {2}keep {3}p-[0-9a-f]{8} chain-000002\/000000-L0  \S+  \(base of chain-000002\/000001-L1\)\n {2}remove p-[0-9a-f]{8} chain-000001\/000001-L1  \S+\n {2}remove p-[0-9a-f]{8} chain-000001\/000000-L0  \S+\nwould remove p-[0-9a-f]{8} chain-000001: 2 backups, .*\nwould remove 2 backups \(1 whole chain\), .*; kept 2 backups\n$/);
    const real = cli('prune', 'store-p', '--keep-daily', '1', '--json');
    expect(json(real)).toMatchObject({ ok: true, removed: [{ chain: 'chain-000001', whole: true }] });
    expect(cli('prune', 'store-p').status).toBe(101);
    expect(cli('prune', 'store-p', '--keep-last', '1', '--keep-chains', '1').status).toBe(101);
    expect(cli('prune', 'store-p', '--keep-daily', '0').status).toBe(108);
  });
});
