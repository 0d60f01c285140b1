// Help as people ask for it (help COMMAND, COMMAND --help, -h, help,
// the bare command), suggestions for mistyped commands and options, and
// which command takes which option: through the real CLI, plus a check
// that every example in every help is a command line the CLI accepts.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../lib/cli/cli-error';
import { GLOBAL_OPTIONS } from '../lib/cli/cli-options';
import { COMMANDS } from '../lib/cli/command-table';
import { chooseCommand, parseCommandLine } from '../lib/cli/command-line';
import { optionLabel } from '../lib/cli/option-spec';
import { runCli } from './support/cli';
import { scratchDir } from './support/files';

const ROOT = join(__dirname, '..');
const ALL = 'signature, delta, patch, backup, restore, list, verify, prune, cat, diff, init, key or help';

// The CLI runs from dist/: a stale build would test old code.
beforeAll(() => {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  const newestSource = Math.max(...readdirSync(join(ROOT, 'lib', 'cli')).map((f) => statSync(join(ROOT, 'lib', 'cli', f)).mtimeMs));
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource - 1000) {
    throw new Error('dist/cli is missing or older than lib/cli: run `npx tsc -p tsconfig.json` first');
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The words of an example line as a shell would pass them (single quotes; redirections dropped). */
function shellWords(line: string): string[] {
  const words = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '<' || words[i] === '>') i++;
    else out.push(words[i]);
  }
  return out;
}

describe('librsync help', () => {
  const scratch = scratchDir('librsync-cli-help-');
  const cwd = scratch.dir;
  const cli = (...args: string[]) => runCli(args, { cwd });
  afterAll(() => scratch.remove());

  test.each(COMMANDS.map((c) => c.name))('%s: help COMMAND, COMMAND --help, COMMAND -h and --help COMMAND print its own help', (name) => {
    const command = COMMANDS.find((c) => c.name === name)!;
    const help = cli('help', name);
    expect(help.status).toBe(0);
    expect(help.stderr).not.toMatch(/librsync: (?!warning: native addon)/);
    const text = help.stdout.toString();
    for (const other of [cli(name, '--help'), cli(name, '-h'), cli('--help', name), cli('-?', name)]) {
      expect(other.status).toBe(0);
      expect(other.stdout.toString()).toBe(text);
    }
    expect(text.startsWith(`Usage: librsync [OPTIONS] ${name}${command.synopsis ? ` ${command.synopsis}` : ''}\n\n${command.summary}.\n`)).toBe(true);
    // Everything it declares is there: options with their defaults, the global options, examples, exit statuses.
    const flat = text.replace(/\n {2,}/g, ' ');
    for (const spec of [...command.options, ...GLOBAL_OPTIONS]) {
      expect(text).toContain(optionLabel(spec));
      if (spec.default !== undefined) expect(flat).toContain(`default: ${spec.default})`);
    }
    for (const example of command.examples) expect(text).toContain(`\n    ${example.line}\n`);
    for (const status of command.exitStatuses) expect(text).toMatch(new RegExp(`\\n  ${status.status.replace('/', '\\/')} +\\S`));
    expect(text).toContain('\nExit status:\n  0 ');
  });

  test("backup's help: its options, their defaults, examples and exit statuses", () => {
    const text = cli('help', 'backup').stdout.toString();
    expect(text).toContain(
      [
        'Options:',
        '      --name=NAME           Backup name (default: SOURCE\'s base name and 8 hex',
        '                            digits of the SHA-256 of its absolute path)',
      ].join('\n'),
    );
    expect(text).toContain('  -b, --block-size=BYTES    Block size of a new chain; a different one starts a\n                            new chain (default: 65536; later levels: the chain\'s\n                            own)\n');
    expect(text).toMatch(/\n {6}--exclude=GLOB {8}Skip matching paths[^(]*\(repeatable\)\n/);
    expect(text).toContain('\nGlobal options:\n      --json                Print a JSON summary (or error) instead of text\n');
    expect(text).toContain("Examples:\n  The next level of /srv/data (level 0 the first time):\n    librsync backup /srv/data /backups\n");
    expect(text).toContain('\nExit status:\n  0        success\n  2        done, with warnings');
    expect(text).toContain('\n  130/143  interrupted by SIGINT / SIGTERM: nothing committed');
    // Not another command's options, and not rdiff's.
    expect(text).not.toContain('--overwrite');
    expect(text).not.toContain('--hash');
  });

  test('delta and patch say which rdiff options they accept and ignore', () => {
    expect(cli('delta', '--help').stdout.toString()).toContain('\nAccepted and ignored, as rdiff does: -H/--hash, -R/--rollsum, -b/--block-size,\n-S/--sum-size.\n');
    expect(cli('patch', '--help').stdout.toString()).toMatch(/--max-output=BYTES +Fail \(108\) rather than write more than BYTES/);
  });

  test('help and --help alone: every command with its summary, the global options and rdiff\'s', () => {
    const help = cli('help');
    expect(help.status).toBe(0);
    const text = help.stdout.toString();
    expect(cli('--help').stdout.toString()).toBe(text);
    expect(cli('-h').stdout.toString()).toBe(text);
    expect(text).toMatch(/^Usage: librsync \[OPTIONS\] signature \[BASIS \[SIGNATURE\]\]\n {16}\[OPTIONS\] delta /);
    for (const command of COMMANDS) expect(text).toMatch(new RegExp(`\\n  ${command.name} +${escapeRegExp(command.summary.slice(0, 20))}`));
    expect(text).toContain("\nrdiff's commands:\n  signature  Write the signature of BASIS\n");
    expect(text).toContain('\nBackup commands:\n  backup ');
    expect(text).toContain('\nGlobal options (every command):\n');
    expect(text).toContain('\n  -H, --hash=ALG           Hash algorithm: blake2 or md4 (default: blake2)\n');
    expect(text).toContain("Run 'librsync help COMMAND' (or 'librsync COMMAND --help')");
  });

  test('help --json: the same text in the JSON summary', () => {
    const result = cli('help', 'restore', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.toString())).toEqual({ ok: true, command: 'help', text: cli('help', 'restore').stdout.toString() });
  });

  test('help of help', () => {
    expect(cli('help', '--help').stdout.toString()).toMatch(/^Usage: librsync \[OPTIONS\] help \[COMMAND\]\n/);
  });

  test('the bare command lists every command and exits 101, as rdiff does without an action', () => {
    const result = cli();
    expect(result.status).toBe(101);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toBe(`librsync: you must specify a command: ${ALL}\nTry 'librsync --help' for more information.\n`);
    const json = cli('--json');
    expect(JSON.parse(json.stdout.toString())).toMatchObject({ ok: false, error: { code: 'RS_SYNTAX_ERROR', exitCode: 101, message: `you must specify a command: ${ALL}` } });
  });

  test('an unknown command suggests the nearest one and lists them all', () => {
    const result = cli('restor', 'store', 'out');
    expect(result.status).toBe(101);
    expect(result.stderr).toBe(`librsync: unknown command 'restor' (did you mean restore?); the commands are ${ALL}\nTry 'librsync --help' for more information.\n`);
    expect(cli('lsit', 'store').stderr).toContain("unknown command 'lsit' (did you mean list?)");
    const far = cli('frobnicate');
    expect(far.status).toBe(101);
    expect(far.stderr).toBe(`librsync: unknown command 'frobnicate'; the commands are ${ALL}\nTry 'librsync --help' for more information.\n`);
    const help = cli('help', 'verfy');
    expect(help.status).toBe(101);
    expect(help.stderr).toContain("librsync: unknown command 'verfy' (did you mean verify?)");
    expect(cli('--help', 'bakcup').stderr).toContain("unknown command 'bakcup' (did you mean backup?)");
    expect(cli('help', 'backup', 'restore').status).toBe(101);
  });

  test("rdiff's prefixes of its actions still work, in help too", () => {
    expect(cli('help', 'sig').stdout.toString()).toMatch(/^Usage: librsync \[OPTIONS\] signature /);
  });

  test('an unknown option suggests the nearest option of the command, and points to its help', () => {
    const result = cli('backup', 'src', 'store', '--exlude', '*.tmp');
    expect(result.status).toBe(101);
    expect(result.stderr).toBe("librsync: unknown option: --exlude (did you mean --exclude?)\nTry 'librsync backup --help' for more information.\n");
    expect(cli('restore', 'store', 'out', '--over').stderr).toContain('unknown option: --over (did you mean --overwrite?)');
    expect(cli('--keep-dialy', '2', 'prune', 'store').stderr).toContain('unknown option: --keep-dialy (did you mean --keep-daily?)');
    // A prefix of several options names them all.
    expect(cli('prune', 'store', '--keep', '2').stderr).toContain(
      'unknown option: --keep (did you mean one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within or --keep-chains?)',
    );
    expect(cli('backup', 'src', 'store', '-exclude', 'x').stderr).toContain('unknown option: -exclude (did you mean --exclude?)');
    // Nothing close: no guess.
    expect(cli('backup', 'src', 'store', '--frobnicate').stderr).toBe("librsync: unknown option: --frobnicate\nTry 'librsync backup --help' for more information.\n");
    // --files is list's, not restore's: restore's nearest is not suggested from other commands.
    expect(cli('restore', 'store', 'out', '--file').stderr).toBe("librsync: unknown option: --file\nTry 'librsync restore --help' for more information.\n");
    const json = cli('verify', 'store', '--agianst', 'src', '--json');
    expect(json.status).toBe(101);
    expect(JSON.parse(json.stdout.toString()).error).toMatchObject({ code: 'RS_SYNTAX_ERROR', message: 'unknown option: --agianst (did you mean --against?)' });
  });

  test("an option of another command, or an rdiff option given to a backup command, is refused naming the command", () => {
    const cases: [string[], string][] = [
      [['restore', 'store', 'out', '--files'], '--files is not an option of restore'],
      [['backup', 'src', 'store', '-f'], '-f/--force is not an option of backup'],
      [['-s', 'verify', 'store'], '-s/--statistics is not an option of verify'],
      [['list', 'store', '-H', 'md4'], '-H/--hash is not an option of list'],
      [['signature', 'basis', 'sig', '--max-output', '5'], '--max-output is not an option of signature'],
      [['signature', 'basis', 'sig', '--backup', 'chain-000001/000000-L0'], '--backup is not an option of signature'],
    ];
    for (const [args, message] of cases) {
      const result = cli(...args);
      expect({ args, status: result.status }).toEqual({ args, status: 101 });
      expect(result.stderr).toContain(`librsync: ${message}\nTry 'librsync ${args.find((a) => COMMANDS.some((c) => c.name === a))} --help'`);
    }
  });

  test('delta and patch still accept the rdiff options they ignore, as rdiff does', () => {
    writeFileSync(scratch.path('basis'), 'some basis bytes\n'.repeat(100));
    expect(cli('signature', 'basis', 'basis.sig').status).toBe(0);
    const delta = cli('-H', 'md4', '-b', '1024', '-S', '8', 'delta', 'basis.sig', 'basis', 'basis.delta');
    expect(delta.status).toBe(0);
    expect(cli('-R', 'rollsum', 'patch', 'basis', 'basis.delta', 'basis.out').status).toBe(0);
  });

  test('every example in every help is a command line the CLI accepts', () => {
    mkdirSync(scratch.path('unused'), { recursive: true });
    for (const command of COMMANDS) {
      for (const example of command.examples) {
        const [program, ...argv] = shellWords(example.line);
        expect(program).toBe('librsync');
        let chosen: ReturnType<typeof chooseCommand>;
        try {
          chosen = chooseCommand(parseCommandLine(argv));
        } catch (err) {
          throw new Error(`example of ${command.name} refused: ${example.line}: ${(err as CliError).message}`);
        }
        expect(chosen !== 'version' && chosen.command.name).toBe(command.name);
      }
    }
  });
});
