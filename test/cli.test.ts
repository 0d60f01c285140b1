// The librsync command against rdiff: same bytes, same exit statuses,
// plus our own --json, --progress and overwrite safety.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openOutput } from '../lib/cli/output-target';
import { parseIntOption } from '../lib/cli/numbers';
import { CliError } from '../lib/cli/cli-error';
import { RunOptions, RunResult, runCli, runCliClosingStdoutEarly, runCliInterrupted, runRdiff } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeEachBackendWithRdiff, describeWithRdiff } from './support/requirements';

const ROOT = join(__dirname, '..');

// The CLI runs from dist/: a stale build would test old code.
beforeAll(() => {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  const newestSource = Math.max(...readdirSync(join(ROOT, 'lib', 'cli')).map((f) => statSync(join(ROOT, 'lib', 'cli', f)).mtimeMs));
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource - 1000) {
    throw new Error('dist/cli is missing or older than lib/cli: run `npx tsc -p tsconfig.json` first');
  }
});

/** A new version of `basis`: a changed run, a deletion and an insertion. */
function editedCopy(basis: Buffer): Buffer {
  const changed = Buffer.from(basis);
  randomBytesSeeded(100, 99).copy(changed, 1000);
  return Buffer.concat([changed.subarray(0, 20_000), changed.subarray(30_000, 150_000), randomBytesSeeded(5_000, 42), changed.subarray(150_000)]);
}

/** Block length in a signature header (big-endian, after the magic). */
function blockLengthOf(signature: Buffer): number {
  return signature.readUInt32BE(4);
}

/** "copy[2 cmds, 89760 bytes, ...]" and friends from -s output, as numbers. */
function statsSections(stderr: string, operation: string): Record<string, number[]> {
  const line = stderr.split('\n').find((l) => l.includes(`${operation} statistics:`));
  if (!line) throw new Error(`no ${operation} statistics in: ${stderr}`);
  const sections: Record<string, number[]> = {};
  for (const [, name, body] of line.matchAll(/(literal|copy|signature)\[([^\]]*)\]/g)) {
    sections[name] = [...body.matchAll(/\d+/g)].map((m) => Number(m[0]));
  }
  return sections;
}

describeEachBackendWithRdiff('librsync CLI compared with rdiff', () => {
  const scratch = scratchDir('librsync-cli-');
  const cwd = scratch.dir;
  const opts: RunOptions = { cwd };
  const basis = randomBytesSeeded(300_000, 7);
  const newer = editedCopy(basis);
  const file = (name: string): Buffer => readFileSync(scratch.path(name));

  /** Runs both with the same arguments; each writes into its own copy of `outputs`. */
  function both(args: string[], options: Partial<RunOptions> = {}): { ours: RunResult; theirs: RunResult } {
    return {
      theirs: runRdiff(args.map((a) => a.replace('%', 'rdiff')), { ...opts, ...options }),
      ours: runCli(args.map((a) => a.replace('%', 'ours')), { ...opts, ...options }),
    };
  }

  beforeAll(() => {
    writeFileSync(scratch.path('basis'), basis);
    writeFileSync(scratch.path('new'), newer);
    writeFileSync(scratch.path('small'), basis.subarray(0, 20_000));
    execFileSync('rdiff', ['signature', 'basis', 'basis.sig'], { cwd });
    execFileSync('rdiff', ['delta', 'basis.sig', 'new', 'new.delta'], { cwd });
    // Bad magic, but a plausible header so librsync gets to check the magic.
    writeFileSync(scratch.path('badmagic.sig'), Buffer.from('XXXX\0\0\x01\0\0\0\0\x20', 'latin1'));
    const corrupt = Buffer.from(file('new.delta'));
    corrupt[4] = 0x99; // not a command byte
    writeFileSync(scratch.path('corrupt.delta'), corrupt);
    writeFileSync(scratch.path('truncated.delta'), file('new.delta').subarray(0, 2000));
  });
  afterAll(() => scratch.remove());

  describe('signature', () => {
    const combos = [
      ['blake2', 'rabinkarp'],
      ['blake2', 'rollsum'],
      ['md4', 'rabinkarp'],
      ['md4', 'rollsum'],
    ];
    test.each(combos)('-H %s -R %s with -b and -S variants matches rdiff byte for byte', (hash, rollsum) => {
      for (const extra of [[], ['-b', '1024', '-S', '0'], ['-S', '-1'], ['-b', '0', '-S', '8']]) {
        const { ours, theirs } = both(['-H', hash, '-R', rollsum, ...extra, 'signature', 'basis']);
        expect(theirs.status).toBe(0);
        expect(ours.status).toBe(0);
        expect(ours.stdout.equals(theirs.stdout)).toBe(true);
      }
    });

    test('writes files identical to rdiff, with options after the subcommand and in every spelling', () => {
      const spellings = [
        ['signature', '--hash=md4', '--block-size', '512', '--sum-size=-1', 'basis', '%.1'],
        ['signature', 'basis', '-Hmd4', '-b512', '-S-1', '%.2'],
        ['-H', 'md4', 'sig', 'basis', '-b', '0x200', '-S', '-1', '%.3'],
      ];
      for (const args of spellings) {
        const { ours, theirs } = both(args);
        expect([ours.status, theirs.status]).toEqual([0, 0]);
        expect(ours.stdout.length).toBe(0); // nothing but data ever goes to stdout
      }
      expect(file('ours.1').equals(file('rdiff.1'))).toBe(true);
      expect(file('ours.2').equals(file('rdiff.1'))).toBe(true);
      expect(file('ours.3').equals(file('rdiff.3'))).toBe(true);
      expect(blockLengthOf(file('ours.1'))).toBe(512);
    });

    test('default block length comes from the file size, or 2048 from a pipe', () => {
      const fromFile = both(['signature', 'basis', '-']);
      const redirected = both(['signature'], { stdinFile: 'basis' });
      const piped = both(['signature', '-', '-'], { input: basis });
      const small = both(['signature', 'small']);
      for (const { ours, theirs } of [fromFile, redirected, piped, small]) {
        expect(ours.status).toBe(0);
        expect(ours.stdout.equals(theirs.stdout)).toBe(true);
      }
      expect(blockLengthOf(fromFile.ours.stdout)).toBe(512);
      expect(blockLengthOf(redirected.ours.stdout)).toBe(512);
      expect(blockLengthOf(piped.ours.stdout)).toBe(2048);
      expect(blockLengthOf(small.ours.stdout)).toBe(256);
    });
  });

  describe('delta and patch', () => {
    test('delta matches rdiff for files, stdin and stdout', () => {
      const toFile = both(['delta', 'basis.sig', 'new', '%.delta']);
      expect([toFile.ours.status, toFile.theirs.status]).toEqual([0, 0]);
      expect(file('ours.delta').equals(file('rdiff.delta'))).toBe(true);

      const newFromStdin = both(['delta', 'basis.sig'], { input: newer });
      const sigFromStdin = both(['delta', '-', 'new', '-'], { stdinFile: 'basis.sig' });
      for (const { ours, theirs } of [newFromStdin, sigFromStdin]) {
        expect([ours.status, theirs.status]).toEqual([0, 0]);
        expect(ours.stdout.equals(file('rdiff.delta'))).toBe(true);
        expect(theirs.stdout.equals(file('rdiff.delta'))).toBe(true);
      }
    });

    test('patch rebuilds the new file like rdiff, from files, stdin and to stdout', () => {
      const toFile = both(['patch', 'basis', 'new.delta', '%.new']);
      expect([toFile.ours.status, toFile.theirs.status]).toEqual([0, 0]);
      expect(file('ours.new').equals(newer)).toBe(true);

      const deltaFromStdin = both(['patch', 'basis'], { input: file('new.delta') });
      const basisFromStdin = both(['patch', '-', 'new.delta', '-'], { stdinFile: 'basis' });
      for (const { ours, theirs } of [deltaFromStdin, basisFromStdin]) {
        expect([ours.status, theirs.status]).toEqual([0, 0]);
        expect(ours.stdout.equals(newer)).toBe(true);
      }
    });

    test('a md4/rollsum round trip with small blocks matches rdiff', () => {
      const sig = both(['-H', 'md4', '-R', 'rollsum', '-b', '64', '-S', '-1', 'signature', 'basis', '%.rsig']);
      const delta = both(['delta', '%.rsig', 'new', '%.rdelta']);
      const patch = both(['patch', 'basis', '%.rdelta', '%.rnew']);
      for (const { ours } of [sig, delta, patch]) expect(ours.status).toBe(0);
      expect(file('ours.rsig').equals(file('rdiff.rsig'))).toBe(true);
      expect(file('ours.rdelta').equals(file('rdiff.rdelta'))).toBe(true);
      expect(file('ours.rnew').equals(newer)).toBe(true);
    });
  });

  describe('existing outputs', () => {
    test('refuses to overwrite without -f (exit 100, file unchanged), overwrites with -f', () => {
      writeFileSync(scratch.path('ours.keep'), 'precious');
      writeFileSync(scratch.path('rdiff.keep'), 'precious');
      const refused = both(['signature', 'basis', '%.keep']);
      expect(refused.theirs.status).toBe(100);
      expect(refused.ours.status).toBe(100);
      expect(refused.ours.stderr).toMatch(/^librsync: .*ours\.keep.*exists.*-f/);
      expect(file('ours.keep').toString()).toBe('precious');

      const forced = both(['-f', 'signature', 'basis', '%.keep']);
      expect([forced.ours.status, forced.theirs.status]).toEqual([0, 0]);
      expect(file('ours.keep').equals(file('rdiff.keep'))).toBe(true);
    });

    test('a failed patch leaves neither a partial output nor a temporary file', () => {
      const before = readdirSync(cwd).sort();
      const result = runCli(['patch', 'basis', 'truncated.delta', 'never.out'], opts);
      expect(result.status).toBe(103);
      expect(existsSync(scratch.path('never.out'))).toBe(false);
      expect(readdirSync(cwd).sort()).toEqual(before);
    });
  });

  describe('exit statuses match rdiff', () => {
    const cases: [string, string[], number][] = [
      ['no action', [], 101],
      ['only options', ['-s', '-f'], 101],
      ['unknown action', ['frobnicate', 'basis'], 101],
      ['missing input file', ['signature', 'does-not-exist', '%.x1'], 100],
      ['missing signature file', ['delta', 'does-not-exist', 'new', '%.x2'], 100],
      ['missing basis file', ['patch', 'does-not-exist', 'new.delta', '%.x3'], 100],
      ['bad magic in a signature', ['delta', 'badmagic.sig', 'new', '%.x4'], 104],
      ['a signature given as the delta', ['patch', 'basis', 'basis.sig', '%.x5'], 104],
      ['corrupt delta', ['patch', 'basis', 'corrupt.delta', '%.x6'], 106],
      ['truncated delta', ['patch', 'basis', 'truncated.delta', '%.x7'], 103],
      ['-S 40 with blake2', ['-S', '40', 'signature', 'basis', '%.x8'], 108],
      ['-S 20 with md4', ['-H', 'md4', '-S', '20', 'signature', 'basis', '%.x9'], 108],
      ['bad numeric value', ['-b', '12abc', 'signature', 'basis'], 101],
      ['number out of range', ['-S', '2147483648', 'signature', 'basis'], 101],
      ['unknown hash', ['-H', 'sha1', 'signature', 'basis'], 101],
      ['unknown option', ['--frobnicate', 'signature', 'basis'], 101],
      ['missing option value', ['signature', 'basis', '-b'], 101],
      ['too few arguments', ['delta'], 101],
      ['too many arguments', ['signature', 'basis', '%.y1', '%.y2'], 101],
    ];
    test.each(cases)('%s', (_name, args, expected) => {
      const { ours, theirs } = both(args);
      expect(theirs.status).toBe(expected);
      expect(ours.status).toBe(expected);
      expect(ours.stdout.length).toBe(0);
      expect(ours.stderr).toMatch(/^librsync: \S/);
      expect(ours.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });

    test('a FIFO as the basis fails at once with 100 instead of waiting for a writer', () => {
      execFileSync('mkfifo', [scratch.path('basis.fifo')]);
      const r = runCli(['-f', 'patch', 'basis.fifo', 'new.delta', 'from-fifo'], { ...opts, timeoutMs: 20_000 });
      expect(r.status).toBe(100);
      expect(r.stderr).toMatch(/^librsync: cannot use 'basis.fifo' as the basis: it must be a regular file/);
      expect(existsSync(scratch.path('from-fifo'))).toBe(false);
    });

    test('usage errors add a hint; library errors are one line', () => {
      expect(runCli([], opts).stderr).toMatch(/^librsync: you must specify a command: signature, delta, patch, .*\nTry 'librsync --help'/);
      expect(runCli(['patch', 'basis', 'corrupt.delta', '-'], opts).stderr).toMatch(/^librsync: [^\n]*corrupt[^\n]*\n$/);
    });
  });

  describe('--json', () => {
    test('prints a summary on stdout when the output is a file', () => {
      const result = runCli(['--json', 'delta', 'basis.sig', 'new', 'json.delta'], opts);
      expect(result.status).toBe(0);
      const summary = JSON.parse(result.stdout.toString());
      expect(summary).toMatchObject({ ok: true, command: 'delta', output: 'json.delta' });
      expect(summary.stats).toMatchObject({ operation: 'delta', inBytes: newer.length, outBytes: file('new.delta').length });
      expect(typeof summary.seconds).toBe('number');
    });

    test('prints it on stderr when stdout carries the data', () => {
      const result = runCli(['signature', '--json', 'basis', '-'], opts);
      expect(result.status).toBe(0);
      expect(result.stdout.equals(file('basis.sig'))).toBe(true);
      const summary = JSON.parse(result.stderr);
      expect(summary).toMatchObject({ ok: true, command: 'signature', params: { blockLength: 512, strongLength: 32 } });
      expect(summary.stats).toMatchObject({ signatureBlocks: Math.ceil(basis.length / 512), blockLength: 512 });
    });

    test('reports errors as an object with code, message and exit code', () => {
      const result = runCli(['--json', 'patch', 'basis', 'corrupt.delta', 'json.new'], opts);
      expect(result.status).toBe(106);
      const report = JSON.parse(result.stdout.toString());
      expect(report).toMatchObject({ ok: false, error: { code: 'RS_CORRUPT', exitCode: 106 } });
      expect(typeof report.error.message).toBe('string');
      expect(result.stderr).toBe('');

      const usage = JSON.parse(runCli(['bogus', '--json'], opts).stdout.toString());
      expect(usage).toMatchObject({ ok: false, error: { code: 'RS_SYNTAX_ERROR', exitCode: 101 } });
      const missing = JSON.parse(runCli(['--json', 'signature', 'nope', 'x'], opts).stdout.toString());
      expect(missing).toMatchObject({ ok: false, error: { code: 'RS_IO_ERROR', exitCode: 100, systemCode: 'ENOENT' } });
    });
  });

  describe('-s statistics', () => {
    test('delta and patch counts equal rdiff -s', () => {
      for (const args of [
        ['-s', 'delta', 'basis.sig', 'new', '%.sdelta'],
        ['-s', 'patch', 'basis', 'new.delta', '%.snew'],
      ]) {
        const { ours, theirs } = both(args);
        expect([ours.status, theirs.status]).toEqual([0, 0]);
        const operation = args[1];
        const mine = statsSections(ours.stderr, operation);
        const rdiffs = statsSections(theirs.stderr, operation);
        expect(mine).toEqual(rdiffs);
        expect(mine.copy.length).toBe(4);
        expect(mine.literal.length).toBe(3);
        expect(ours.stderr).toMatch(/speed\[[\d.]+ MB \([\d.]+ MB\/s\) in, [\d.]+ MB \([\d.]+ MB\/s\) out, [\d.]+ sec\]/);
      }
      const sig = both(['-s', 'signature', 'basis', '%.ssig']);
      expect(statsSections(sig.ours.stderr, 'signature')).toEqual(statsSections(sig.theirs.stderr, 'signature'));
      expect(statsSections(sig.ours.stderr, 'signature').signature).toEqual([Math.ceil(basis.length / 512), 512]);
      const loadsig = both(['-s', 'delta', 'basis.sig', 'new', '%.sdelta2']);
      expect(statsSections(loadsig.ours.stderr, 'loadsig')).toEqual(statsSections(loadsig.theirs.stderr, 'loadsig'));
    });
  });

  describe('progress and stdout hygiene', () => {
    test('--progress draws on stderr only, and clears its line', () => {
      const result = runCli(['--progress', 'delta', 'basis.sig', 'new'], opts);
      expect(result.status).toBe(0);
      expect(result.stdout.equals(file('new.delta'))).toBe(true);
      expect(result.stderr).toMatch(/\rdelta: [\d.]+ (B|KiB|MiB) \/ [\d.]+ KiB \(\d+%\)/);
      expect(result.stderr).toMatch(/\r +\r$/);
    });

    test('no progress without a terminal unless asked, and --no-progress wins', () => {
      expect(runCli(['signature', 'basis', '-'], opts).stderr).toBe('');
      expect(runCli(['--progress', '--no-progress', 'signature', 'basis', '-'], opts).stderr).toBe('');
    });

    test('--help and --version go to stdout and exit 0', () => {
      const help = runCli(['--help'], opts);
      expect(help.status).toBe(0);
      expect(help.stdout.toString()).toMatch(/signature \[BASIS \[SIGNATURE\]\]/);
      expect(help.stdout.toString()).toMatch(/--max-output/);
      const version = runCli(['-V'], opts);
      expect(version.status).toBe(0);
      expect(version.stdout.toString()).toMatch(/^librsync \d+\.\d+\.\d+ .*librsync 2\./);
    });

    test('a reader closing stdout early ends the command quietly with a non-zero status', async () => {
      writeFileSync(scratch.path('big'), randomBytesSeeded(8 << 20, 3));
      const result = await runCliClosingStdoutEarly(['-b', '64', 'signature', 'big'], cwd);
      expect(result.bytesRead).toBeGreaterThan(0);
      expect(result.status).not.toBe(0);
      expect(result.status).not.toBeNull();
      expect(result.stderr).toBe('');
    });

    test('Ctrl-C stops a command cleanly: exit 130, no output or temporary file left', async () => {
      const before = readdirSync(cwd).sort();
      // /dev/zero never ends, so the command is surely mid-way when interrupted.
      const result = await runCliInterrupted(['--progress', 'signature', '/dev/zero', 'interrupted.sig'], cwd, 'SIGINT');
      expect(result.status).toBe(130);
      expect(result.stderr).toMatch(/librsync: interrupted by SIGINT\n$/);
      expect(readdirSync(cwd).sort()).toEqual(before);
    });

    test('--max-output stops a patch that would write more', () => {
      const result = runCli(['--max-output', '1000', 'patch', 'basis', 'new.delta', 'limited.new'], opts);
      expect(result.status).toBe(108);
      expect(existsSync(scratch.path('limited.new'))).toBe(false);
    });
  });
});

describe('CLI pieces', () => {
  test('numbers are read as popt/strtol reads them', () => {
    expect(parseIntOption('0x100', '-b')).toBe(256);
    expect(parseIntOption('010', '-b')).toBe(8);
    expect(parseIntOption('-1', '-S')).toBe(-1);
    expect(parseIntOption(' +5', '-b')).toBe(5);
    for (const bad of ['1e3', '5x', '', '08', '2147483648']) {
      expect(() => parseIntOption(bad, '-b')).toThrow(CliError);
    }
  });

  test('binary output to a terminal is refused unless forced', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    const io = { stdin: new PassThrough(), stdinFd: 0, stdout: terminal, stderr: new PassThrough() };
    await expect(openOutput(undefined, false, io)).rejects.toMatchObject({ exitCode: 100 });
    await expect(openOutput('-', true, io)).resolves.toMatchObject({ isStdout: true });
  });
});

describeWithRdiff('choosing the backend', () => {
  const scratch = scratchDir('librsync-cli-backend-');
  const cwd = scratch.dir;
  const noAddon = { LIBRSYNC_PREBUILD: scratch.path('no-prebuilds'), PREBUILDS_ONLY: '1', LIBRSYNC_ADDON_PATH: '', LIBRSYNC_BACKEND: '' };
  beforeAll(() => {
    mkdirSync(scratch.path('no-prebuilds'));
    writeFileSync(scratch.path('basis'), randomBytesSeeded(100_000, 3));
    execFileSync('rdiff', ['signature', 'basis', 'rdiff.sig'], { cwd });
  });
  afterAll(() => scratch.remove());

  test.each(['native', 'js'])('--backend %s gives rdiff\'s bytes and shows in --version', (backend) => {
    const r = runCli(['--backend', backend, 'signature', 'basis', `${backend}.sig`], { cwd });
    expect(r.status).toBe(0);
    expect(readFileSync(scratch.path(`${backend}.sig`)).equals(readFileSync(scratch.path('rdiff.sig')))).toBe(true);
    const version = runCli([`--backend=${backend}`, '-V'], { cwd });
    expect(version.stdout.toString()).toContain(`(${backend} backend; librsync 2.`);
  });

  test('an unknown backend is a usage error', () => {
    const r = runCli(['--backend', 'fast', 'signature', 'basis', 'x.sig'], { cwd });
    expect(r.status).toBe(101); // rdiff's status for a bad command line
    expect(r.stderr).toContain("unknown backend 'fast' (expected native or js)");
    expect(existsSync(scratch.path('x.sig'))).toBe(false);
  });

  test('without the addon: js with one warning line; asking for native fails saying why', () => {
    const r = runCli(['signature', 'basis', 'fallback.sig'], { cwd, env: noAddon });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^librsync: warning: native addon unavailable \(No native build was found[^\n]*\); using the js backend[^\n]*\n$/);
    expect(readFileSync(scratch.path('fallback.sig')).equals(readFileSync(scratch.path('rdiff.sig')))).toBe(true);
    const version = runCli(['-V'], { cwd, env: noAddon });
    expect(version.stdout.toString()).toMatch(/\(js backend; native addon unavailable: No native build was found/);

    const native = runCli(['--backend', 'native', '--json', 'signature', 'basis', 'refused.sig'], { cwd, env: noAddon });
    expect(native.status).toBe(107);
    const report = JSON.parse(native.stdout.toString()) as { ok: boolean; error: { code: string; message: string } };
    expect(report).toMatchObject({ ok: false, error: { code: 'RS_ADDON_UNAVAILABLE', exitCode: 107 } });
    expect(report.error.message).toMatch(/backend 'native' was requested but .*No native build was found/);
    expect(existsSync(scratch.path('refused.sig'))).toBe(false);
  });
});
