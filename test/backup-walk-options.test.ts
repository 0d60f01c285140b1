// What a backup walks: --exclude-if-present leaves out directories that hold
// a marker file (with a header check, as CACHEDIR.TAG wants), and
// --one-file-system keeps the mount points below SOURCE empty; verify
// --against walks SOURCE the same way.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestEntry, backup, listFiles, verify } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeAsRoot, describeNative } from './support/requirements';

async function paths(store: string, name: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listFiles(store, { name }) as AsyncIterable<ManifestEntry>) if (e.type !== 'deleted') out.push(e.path);
  return out;
}

const CACHEDIR_TAG = 'Signature: 8a477f597d28d172789f06886806bc55';

describeNative('backup walk options', () => {
  const scratch = scratchDir('librsync-walk-options-');
  afterAll(() => scratch.remove());

  it('--exclude-if-present leaves out a directory holding the marker, and checks a header when given one', async () => {
    const src = scratch.path('src');
    for (const d of ['keep', 'skip', 'cache', 'fake-cache', 'keep/deeper-skip']) mkdirSync(join(src, d), { recursive: true });
    writeFileSync(join(src, 'keep', 'a'), 'a');
    writeFileSync(join(src, 'skip', 'b'), 'b');
    writeFileSync(join(src, 'skip', '.nobackup'), '');
    writeFileSync(join(src, 'keep', 'deeper-skip', '.nobackup'), '');
    writeFileSync(join(src, 'cache', 'CACHEDIR.TAG'), `${CACHEDIR_TAG}\n# a cache\n`);
    writeFileSync(join(src, 'cache', 'blob'), 'x');
    writeFileSync(join(src, 'fake-cache', 'CACHEDIR.TAG'), 'not a real tag\n');
    writeFileSync(join(src, '.nobackup'), ''); // SOURCE itself is never left out
    const store = scratch.path('store');
    await backup(src, store, { name: 'm', excludeIfPresent: ['.nobackup', `CACHEDIR.TAG:${CACHEDIR_TAG}`] });
    expect(await paths(store, 'm')).toEqual(['', '.nobackup', 'fake-cache', 'fake-cache/CACHEDIR.TAG', 'keep', 'keep/a']);
    // verify --against walks the same way: nothing differs.
    const report = await verify(store, { name: 'm', against: src });
    expect(report.differences).toEqual([]);
    // A marker that is not a file name is bad input.
    await expect(backup(src, store, { name: 'm', excludeIfPresent: ['a/b'] })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
  });
});

describeAsRoot('--one-file-system', () => {
  const scratch = scratchDir('librsync-one-fs-');
  const src = scratch.path('src');
  const mounted = join(src, 'mnt');
  afterAll(() => {
    execFileSync('umount', [mounted]);
    scratch.remove();
  });

  it('keeps a mount point below SOURCE, empty, and backs it up whole without the option', async () => {
    mkdirSync(mounted, { recursive: true });
    writeFileSync(join(src, 'here'), 'here');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mounted]);
    writeFileSync(join(mounted, 'elsewhere'), 'on another file system');
    const store = scratch.path('store');
    await backup(src, store, { name: 'one', oneFileSystem: true });
    expect(await paths(store, 'one')).toEqual(['', 'here', 'mnt']);
    expect((await verify(store, { name: 'one', against: src })).differences).toEqual([]);
    await backup(src, store, { name: 'all' });
    expect(await paths(store, 'all')).toEqual(['', 'here', 'mnt', 'mnt/elsewhere']);
  });
});
