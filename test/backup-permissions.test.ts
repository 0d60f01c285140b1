// Permissions as an unprivileged user sees them (root reads everything):
// a file the backup may not read is left out of the level with a warning
// naming it; a restore sets a directory without search permission last,
// after a later hard link has reached into it.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, restore } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

const dist = JSON.stringify(join(__dirname, '..', 'dist', 'backup', 'index.js'));
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describeNative('permissions of an unprivileged user', () => {
  const scratch = scratchDir('librsync-backup-permissions-');
  afterAll(() => scratch.remove());

  (asRoot ? it : it.skip)('leaves out a file it may not open, with a warning, and backs up the rest', async () => {
    chmodSync(scratch.dir, 0o777);
    const src = scratch.path('src');
    const store = scratch.path('store');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'open.txt'), 'anyone may read this\n');
    writeFileSync(join(src, 'sub', 'secret.txt'), 'root only\n', { mode: 0o600 });
    mkdirSync(store, { mode: 0o777 });
    chmodSync(store, 0o777);
    const script = `
      require(${dist}).backup(${JSON.stringify(src)}, ${JSON.stringify(store)}, { name: 'u' })
        .then((r) => console.log(JSON.stringify({ warnings: r.warnings, files: r.counts.files })))
        .catch((e) => { console.log(JSON.stringify({ error: e.code })); });`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', uid: NOBODY, gid: NOBODY });
    expect(JSON.parse(run.stdout)).toEqual({
      warnings: [{ path: 'sub/secret.txt', message: expect.stringMatching(/cannot be read \(EACCES\).*left out/) }],
      files: 1,
    });
    const target = scratch.path('out');
    await restore(store, target, {});
    expect(readdirSync(join(target, 'sub'))).toEqual(['open.txt']);
  });

  (asRoot ? it : it.skip)('restores, as its owner, a hard link into a directory without search permission', async () => {
    chmodSync(scratch.dir, 0o777);
    const src = scratch.path('locked-src');
    const store = scratch.path('locked-store');
    mkdirSync(join(src, 'locked'), { recursive: true });
    writeFileSync(join(src, 'locked', 'first'), 'linked\n');
    linkSync(join(src, 'locked', 'first'), join(src, 'z-link'));
    mkdirSync(join(src, 'middle')); // enough in between for 'locked' to be closed before the link is made
    for (let i = 0; i < 40; i++) writeFileSync(join(src, 'middle', `m${i}`), `m${i}`);
    chmodSync(join(src, 'locked'), 0o600);
    for (const p of ['', 'locked', 'locked/first']) chownSync(join(src, p), NOBODY, NOBODY);
    await backup(src, store, { name: 'l' });
    for (const p of readdirSync(store, { recursive: true, encoding: 'utf8' })) chownSync(join(store, p), NOBODY, NOBODY);
    chownSync(store, NOBODY, NOBODY);
    const target = scratch.path('locked-out');
    const script = `
      require(${dist}).restore(${JSON.stringify(store)}, ${JSON.stringify(target)}, {})
        .then((r) => console.log(JSON.stringify({ files: r.files, hardLinks: r.hardLinks })))
        .catch((e) => { console.log(JSON.stringify({ error: e.code, message: e.message })); });`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', uid: NOBODY, gid: NOBODY });
    expect(JSON.parse(run.stdout)).toEqual({ files: 41, hardLinks: 1 });
    expect(statSync(join(target, 'locked')).mode & 0o7777).toBe(0o600);
    expect(statSync(join(target, 'z-link')).nlink).toBe(2);
  });
});
