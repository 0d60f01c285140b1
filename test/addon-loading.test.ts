// When the addon cannot load, the error names the cause and what to
// install; and librsync's own messages never reach stderr behind the
// caller's back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeNative } from './support/requirements';

const root = join(__dirname, '..');
const dist = JSON.stringify(join(root, 'dist', 'index.js'));

function runNode(script: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('addon loading', () => {
  it('explains why the addon is unavailable and what to install', () => {
    // node-gyp-build honours <NAME>_PREBUILD: point it at an empty folder.
    const empty = mkdtempSync(join(tmpdir(), 'librsync-noaddon-'));
    const r = runNode(
      `const lib = require(${dist});
       lib.signatureBuffer(Buffer.from('x')).then(() => console.log('loaded'), (e) => {
         try { lib.signature(); } catch (sync) { console.log(JSON.stringify({ code: e.code, message: e.message, sync: sync.code })); }
       });`,
      { LIBRSYNC_PREBUILD: empty, PREBUILDS_ONLY: '1' },
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('RS_ADDON_UNAVAILABLE');
    expect(out.sync).toBe('RS_ADDON_UNAVAILABLE');
    expect(out.message).toMatch(/No native build was found/);
    expect(out.message).toMatch(/apt-get install librsync2/);
    expect(out.message).toMatch(/brew install librsync/);
  });
});

describeNative('librsync trace output', () => {
  it('is captured into the error and never printed to stderr', () => {
    const r = runNode(
      `const lib = require(${dist});
       lib.patchBuffer(Buffer.alloc(10), Buffer.from('72730236550000', 'hex')).catch((e) => {
         console.log(JSON.stringify({ code: e.code, detail: e.detail }));
       });`,
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('RS_CORRUPT');
    expect(out.detail).toMatch(/bogus command 0x55/);
  });
});
