// A newcomer's set-up from a clone: the README's two commands as .ci/run
// reads them, scripts/setup's arguments, the bin in a clone with no dist/,
// and the prepare script that builds dist/ (npm ci, npm pack, git installs).
// .ci/run itself runs the two commands; these are the quick checks.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './support/files';

const root = join(__dirname, '..');

describe("the README's set-up commands", () => {
  it('are two, read from the README by .ci/run: ./scripts/setup, then npm test', () => {
    const printed = execFileSync(join(root, '.ci', 'run'), ['--readme-commands'], { cwd: root, encoding: 'utf8' });
    const commands = printed.trimEnd().split('\n').map((line) => line.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['./scripts/setup', 'npm test']);
    expect(statSync(join(root, 'scripts', 'setup')).mode & 0o111).not.toBe(0);
  });

  it('scripts/setup refuses an unknown argument before doing anything (exit 101)', () => {
    const run = spawnSync(join(root, 'scripts', 'setup'), ['--bogus'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(101);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("setup: unknown argument '--bogus'\nusage: ./scripts/setup [--keep]   (installs, builds and tries a backup; see README)\n");
  });
});

describe('a clone not built yet', () => {
  const scratch = scratchDir('librsync-clone-');
  afterAll(() => scratch.remove());

  it('bin/librsync.js says what to run, in one line, and exits 107', () => {
    mkdirSync(scratch.path('bin'));
    cpSync(join(root, 'bin', 'librsync.js'), scratch.path('bin/librsync.js'));
    const run = spawnSync(process.execPath, [scratch.path('bin/librsync.js'), '--help'], { cwd: scratch.dir, encoding: 'utf8' });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `librsync: not built (no dist/cli/main.js): run \`npm ci\` in ${scratch.dir} (\`npm run build:ts\` if its node_modules is already installed)\n`,
    );
    expect(run.status).toBe(107);
  });
});

// On a copy of lib/ and the build's files, never on this tree's dist/,
// which other suites are running.
describe('the prepare script', () => {
  const scratch = scratchDir('librsync-prepare-');
  afterAll(() => scratch.remove());
  const copy = (name: string): void => cpSync(join(root, name), scratch.path(name), { recursive: true });

  function setTimes(dir: string, time: Date): void {
    for (const name of readdirSync(scratch.path(dir), { recursive: true }) as string[]) utimesSync(scratch.path(join(dir, name)), time, time);
  }

  function prepare(): { status: number | null; output: string } {
    const run = spawnSync(process.execPath, [scratch.path('scripts/prepare-dist.js')], { cwd: scratch.dir, encoding: 'utf8' });
    return { status: run.status, output: run.stdout + run.stderr };
  }

  it('says what to install when the clone has no dev tools', () => {
    for (const name of ['lib', 'tsconfig.json', 'package.json', 'scripts/prepare-dist.js', 'scripts/write-esm-entry.js']) copy(name);
    expect(prepare()).toEqual({
      status: 1,
      output: `prepare: cannot build dist/ (dist/ is missing): TypeScript is not installed in ${scratch.dir}: run \`npm ci\` there first (or ./scripts/setup)\n`,
    });
  });

  it('builds dist/ when it is missing, not when it is up to date, again when lib/ changes, and afresh for a stale output', () => {
    symlinkSync(join(root, 'node_modules'), scratch.path('node_modules'));
    const first = prepare();
    expect(first.output).toBe('prepare: building dist/ (dist/ is missing)\n');
    expect(first.status).toBe(0);
    for (const built of ['dist/cli/main.js', 'dist/index.d.ts', 'dist/index.mjs', 'dist/backup/index.mjs']) expect(existsSync(scratch.path(built))).toBe(true);

    expect(prepare()).toEqual({ status: 0, output: 'prepare: dist/ is up to date with lib/\n' });

    // Sources two hours old, outputs one hour old, then one source edited.
    const hoursAgo = (n: number): Date => new Date(Date.now() - n * 3600_000);
    setTimes('lib', hoursAgo(2));
    setTimes('dist', hoursAgo(1));
    const edited = hoursAgo(0.5);
    utimesSync(scratch.path('lib/errors.ts'), edited, edited);
    expect(prepare()).toEqual({ status: 0, output: 'prepare: building dist/ (lib/errors.ts changed)\n' });
    expect(statSync(scratch.path('dist/errors.js')).mtimeMs).toBeGreaterThan(edited.getTime());
    expect(prepare()).toEqual({ status: 0, output: 'prepare: dist/ is up to date with lib/\n' });

    writeFileSync(scratch.path('dist/removed-from-lib.js'), '');
    expect(prepare()).toEqual({
      status: 0,
      output: 'prepare: dist/removed-from-lib.js has no source in lib/: removing dist/ and building it again\nprepare: building dist/ (dist/ is missing)\n',
    });
    expect(existsSync(scratch.path('dist/removed-from-lib.js'))).toBe(false);
    expect(existsSync(scratch.path('dist/cli/main.js'))).toBe(true);
  }, 120000);
});
