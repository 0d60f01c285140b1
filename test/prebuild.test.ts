// The committed prebuild must load through node-gyp-build (as it does for
// users without a compiler) and must have been built from the native/
// sources in this tree: a stale prebuild fails here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeNative } from './support/requirements';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nativeSourceHash } = require('../scripts/source-hash.js') as { nativeSourceHash: () => string };

const root = join(__dirname, '..');
const localBuild = join(root, 'build', 'Release', 'node_librsync.node');

/** Fails with the command that makes `file` rather than a confusing mismatch. */
function requireBuilt(file: string, command: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`${command}\` first (./scripts/setup does every build)`);
}

function probe(env: NodeJS.ProcessEnv): { path: string; sourceHash: string; signature: string } {
  requireBuilt(join(root, 'dist', 'index.js'), 'npm run build:ts');
  const script = `
    const gyp = require('node-gyp-build');
    const path = gyp.path(${JSON.stringify(root)});
    const lib = require(${JSON.stringify(join(root, 'dist', 'index.js'))});
    lib.signatureBuffer(Buffer.from('hello prebuild'.repeat(500))).then((sig) => {
      process.stdout.write(JSON.stringify({ path, sourceHash: lib.backendInfo().sourceHash, signature: sig.toString('hex') }));
    });`;
  // LIBRSYNC_ADDON_PATH (the sanitizer run) would bypass node-gyp-build.
  const child = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...process.env, LIBRSYNC_ADDON_PATH: '', ...env },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`probe failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

describeNative('prebuilds/', () => {
  it('loads the linux-x64 prebuild, built from the current native/ sources', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const prebuilt = probe({ PREBUILDS_ONLY: '1' });
    expect(prebuilt.path).toBe(join(root, 'prebuilds', 'linux-x64', 'librsync.node'));
    expect(prebuilt.sourceHash).toBe(nativeSourceHash());
  });

  it('computes the same bytes as the local build', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    // Without it node-gyp-build would load the prebuild again.
    requireBuilt(localBuild, 'npx node-gyp rebuild');
    const prebuilt = probe({ PREBUILDS_ONLY: '1' });
    const local = probe({});
    expect(local.path).not.toBe(prebuilt.path);
    expect(local.sourceHash).toBe(nativeSourceHash());
    expect(prebuilt.signature).toBe(local.signature);
  });
});
