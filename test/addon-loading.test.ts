// When the addon cannot load, the error names the cause and what to
// install; and librsync's own messages never reach stderr behind the
// caller's back.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeNative } from './support/requirements';

const root = join(__dirname, '..');
const dist = JSON.stringify(join(root, 'dist', 'index.js'));

function runNode(script: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('addon loading', () => {
  // node-gyp-build honours <NAME>_PREBUILD: point it at an empty folder
  // (and no LIBRSYNC_ADDON_PATH from the sanitizer run to bypass it).
  const noAddon = { LIBRSYNC_PREBUILD: mkdtempSync(join(tmpdir(), 'librsync-noaddon-')), PREBUILDS_ONLY: '1', LIBRSYNC_ADDON_PATH: '' };

  it('asking for native explains why the addon is unavailable and what to install', () => {
    const r = runNode(
      `const lib = require(${dist});
       lib.signatureBuffer(Buffer.from('x'), { backend: 'native' }).then(() => console.log('loaded'), (e) => {
         let sync;
         try { lib.signature({ backend: 'native' }); } catch (err) { sync = err.code; }
         let setDefault;
         try { lib.setDefaultBackend('native'); } catch (err) { setDefault = err.code; }
         console.log(JSON.stringify({ code: e.code, message: e.message, sync, setDefault }));
       });`,
      noAddon,
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('RS_ADDON_UNAVAILABLE');
    expect(out.sync).toBe('RS_ADDON_UNAVAILABLE');
    expect(out.setDefault).toBe('RS_ADDON_UNAVAILABLE');
    expect(out.message).toMatch(/backend 'native' was requested/);
    expect(out.message).toMatch(/No native build was found/);
    expect(out.message).toMatch(/apt-get install librsync2/);
    expect(out.message).toMatch(/brew install librsync/);
  });

  it('by default falls back to the js backend with exactly one warning, and says so', () => {
    const r = runNode(
      `const lib = require(${dist});
       const warnings = [];
       process.on('warning', (w) => warnings.push(w.code));
       (async () => {
         const basis = Buffer.alloc(100000, 7);
         const sig = await lib.signatureBuffer(basis);
         const set = await lib.loadSignature(sig);
         const d = await lib.deltaBuffer(set, Buffer.concat([basis, Buffer.from('tail')]));
         const out = await lib.patchBuffer(basis, d);
         setImmediate(() => console.log(JSON.stringify({ warnings, set: set.backend, info: lib.backendInfo(), ok: out.length === 100004 })));
       })().catch((e) => console.log('failed', e.stack));`,
      noAddon,
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.warnings).toEqual(['LIBRSYNC_JS_FALLBACK']);
    expect(out.ok).toBe(true);
    expect(out.set).toBe('js');
    expect(out.info).toMatchObject({ backend: 'js', nativeAvailable: false });
    expect(out.info.nativeError).toMatch(/No native build was found/);
    expect(r.stderr).toMatch(/LIBRSYNC_JS_FALLBACK.*using the TypeScript backend/);
  });

  it('LIBRSYNC_BACKEND=js chooses js without a warning; a bad value is RS_PARAM_ERROR', () => {
    const r = runNode(
      `const lib = require(${dist});
       process.on('warning', (w) => console.log('warning', w.code));
       console.log(JSON.stringify(lib.backendInfo()));`,
      { ...noAddon, LIBRSYNC_BACKEND: 'js' },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'js', nativeAvailable: false });
    const bad = runNode(`const lib = require(${dist}); try { lib.signature(); } catch (e) { console.log(e.code, e.message); }`, {
      LIBRSYNC_BACKEND: 'fast',
    });
    expect(bad.stdout).toMatch(/^RS_PARAM_ERROR LIBRSYNC_BACKEND must be 'native', 'js' or 'auto', not "fast"/);
  });
});

describeNative('LIBRSYNC_ADDON_PATH', () => {
  // Which .node files this process loaded, and what the addon reports.
  const probe = `const lib = require(${dist});
    lib.signatureBuffer(Buffer.from('x'.repeat(5000)), { backend: 'native' }).then(
      (sig) => console.log(JSON.stringify({ ok: sig.length > 0, loaded: Object.keys(require.cache).filter((k) => k.endsWith('.node')) })),
      (e) => console.log(JSON.stringify({ code: e.code, message: e.message, loaded: Object.keys(require.cache).filter((k) => k.endsWith('.node')) })));`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const usual = (require('node-gyp-build') as { path(dir: string): string }).path(root);

  it('loads exactly the named file instead of build/ or prebuilds/', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'librsync-addon-')), 'elsewhere.node');
    copyFileSync(usual, copy);
    const r = runNode(probe, { LIBRSYNC_ADDON_PATH: copy });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, loaded: [copy] });
  });

  it('a file that does not load is RS_ADDON_UNAVAILABLE naming the variable, with no fallback to the usual build', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'librsync-addon-')), 'missing.node');
    const r = runNode(probe, { LIBRSYNC_ADDON_PATH: missing });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('RS_ADDON_UNAVAILABLE');
    expect(out.message).toContain(`LIBRSYNC_ADDON_PATH=${missing}`);
    expect(out.loaded).toEqual([]);
  });

  it('empty means unset: the usual build loads', () => {
    const r = runNode(probe, { LIBRSYNC_ADDON_PATH: '' });
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, loaded: [usual] });
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
