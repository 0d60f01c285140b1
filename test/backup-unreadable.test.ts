// A file the backup may not read (permissions) is left out of the level
// with a warning naming it; the rest of the tree is still backed up. The
// backup runs as an unprivileged user (root reads everything).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restore } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

const dist = JSON.stringify(join(__dirname, '..', 'dist', 'backup', 'index.js'));
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describeNative('unreadable files', () => {
  const scratch = scratchDir('librsync-backup-unreadable-');
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
});
