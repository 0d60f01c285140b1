// The package as users get it: `npm pack`, install the tarball into an
// empty project, then require, import and `npx librsync` from there. This
// proves the files list, the prebuild (no build/ folder in the tarball)
// and the bin entry, end to end.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithRdiff } from './support/requirements';
import { randomBytesSeeded, scratchDir } from './support/files';

const root = join(__dirname, '..');

describeWithRdiff('installed package', () => {
  const scratch = scratchDir('librsync-pkg-');
  afterAll(() => scratch.remove());

  beforeAll(() => {
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch.dir], { cwd: root, encoding: 'utf8' });
    const tarball = join(scratch.dir, JSON.parse(packed)[0].filename);
    writeFileSync(scratch.path('package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // zstd-napi compiles zstd from its sources where its prebuilt binary cannot be fetched (a minute or more): on every core.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: scratch.dir, stdio: 'pipe', env: { ...process.env, JOBS: 'max' } });
  }, 480000);

  it('ships compiled code, types, the prebuild and the native sources, but no build output', () => {
    const installed = join(scratch.dir, 'node_modules', 'librsync');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const file of ['dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'bin/librsync.js', 'prebuilds/linux-x64/librsync.node', 'binding.gyp', 'native/job.cc']) {
      expect(() => readFileSync(join(installed, file))).not.toThrow();
    }
    expect(pkg.bin.librsync).toBe('bin/librsync.js');
    expect(() => readFileSync(join(installed, 'build', 'Release', 'node_librsync.node'))).toThrow();
  });

  it('works through require, import and the librsync bin, byte-identical to rdiff', () => {
    writeFileSync(scratch.path('data'), randomBytesSeeded(300000, 7));
    const run = (args: string[]): string => execFileSync(args[0], args.slice(1), { cwd: scratch.dir, encoding: 'utf8' });
    const viaRequire = run([process.execPath, '-e', "require('librsync').signatureFile('data', 'req.sig').then(() => console.log('ok'))"]);
    const viaImport = run([process.execPath, '--input-type=module', '-e', "import { signatureFile } from 'librsync'; await signatureFile('data', 'esm.sig'); console.log('ok')"]);
    expect(viaRequire.trim()).toBe('ok');
    expect(viaImport.trim()).toBe('ok');
    // What `npx librsync` runs: the bin link npm made.
    const cli = spawnSync(join(scratch.dir, 'node_modules', '.bin', 'librsync'), ['signature', 'data', 'cli.sig'], { cwd: scratch.dir, encoding: 'utf8' });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    execFileSync('rdiff', ['signature', 'data', 'rdiff.sig'], { cwd: scratch.dir });
    const expected = readFileSync(scratch.path('rdiff.sig'));
    for (const name of ['req.sig', 'esm.sig', 'cli.sig']) expect(readFileSync(scratch.path(name)).equals(expected)).toBe(true);
  });
});
