// The local directory store's own contract, beside what the engine tests
// exercise through it: creation that survives being cut short, files
// readable by their owner only, refusal of what is not a store.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDirectoryStore, backup, restore, verify } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeAsRoot } from './support/requirements';

describe('LocalDirectoryStore', () => {
  const scratch = scratchDir('librsync-local-store-');
  afterAll(() => scratch.remove());

  it('sync() of a prefix nothing has been written under yet creates it instead of failing', async () => {
    // A backup that changed nothing can commit before its manifest writer has made the directory.
    const store = new LocalDirectoryStore(scratch.path('store'));
    await store.open({ create: true });
    await store.sync('n/chain-000001/000001-L1');
    expect(existsSync(join(scratch.path('store'), 'backups', 'n', 'chain-000001', '000001-L1'))).toBe(true);
  });

  it('finishes a creation that was cut short (an empty data directory, a temporary marker)', async () => {
    for (const leftovers of [['backups/'], ['.librsync-backup.json.0a1b2c3d4e5f.tmp'], ['backups/', '.librsync-backup.json.0a1b2c3d4e5f.tmp']]) {
      const root = scratch.path(`cut-${leftovers.length}-${leftovers[0].length}`);
      mkdirSync(root);
      for (const name of leftovers) {
        if (name.endsWith('/')) mkdirSync(join(root, name));
        else writeFileSync(join(root, name), '{"form');
      }
      await new LocalDirectoryStore(root).open({ create: true });
      expect(readdirSync(root).filter((n) => !n.endsWith('.tmp')).sort()).toEqual(['backups', 'librsync-backup.json']);
      // A temporary marker is removed once surely nobody's (a minute old).
      for (const name of readdirSync(root).filter((n) => n.endsWith('.tmp'))) utimesSync(join(root, name), 1, 1);
      await new LocalDirectoryStore(root).open({ create: false });
      expect(readdirSync(root).sort()).toEqual(['backups', 'librsync-backup.json']);
    }
  });

  it('lets several processes create the same store at once', async () => {
    for (let round = 0; round < 10; round++) {
      const root = scratch.path(`race-${round}`);
      await Promise.all(Array.from({ length: 6 }, () => new LocalDirectoryStore(root).open({ create: true })));
      expect(readdirSync(root).filter((n) => !n.endsWith('.tmp')).sort()).toEqual(['backups', 'librsync-backup.json']);
    }
  });

  it('refuses a directory holding anything else, and leaves it alone', async () => {
    for (const [name, isDir] of [['notes.txt', false], ['backups/x', false], ['other', true]] as const) {
      const root = scratch.path(`foreign-${name.replace('/', '-')}`);
      mkdirSync(join(root, name.includes('/') ? name.split('/')[0] : '.'), { recursive: true });
      if (isDir) mkdirSync(join(root, name));
      else writeFileSync(join(root, name), 'mine');
      const before = readdirSync(root, { recursive: true }).sort();
      await expect(new LocalDirectoryStore(root).open({ create: true })).rejects.toMatchObject({ code: 'BACKUP_STORE_INVALID' });
      expect(readdirSync(root, { recursive: true }).sort()).toEqual(before);
    }
  });

  it('creates every file and directory of a store readable by its owner only', async () => {
    const src = scratch.path('src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'd', 'f.txt'), 'data');
    const root = scratch.path('private');
    await backup(src, root, { name: 'n' });
    await backup(src, root, { name: 'n' });
    const loose = [root, ...readdirSync(root, { recursive: true, encoding: 'utf8' }).map((p) => join(root, p))]
      .map((p) => ({ p, mode: lstatSync(p).mode & 0o777 }))
      .filter(({ mode }) => (mode & 0o077) !== 0);
    expect(loose).toEqual([]);
  });
});

describeAsRoot('a store on read-only media', () => {
  const scratch = scratchDir('librsync-ro-store-');
  const mounted = scratch.path('ro');
  afterAll(() => {
    execFileSync('umount', [mounted]);
    scratch.remove();
  });

  it('restores and verifies with a warning that no reader lock could be taken', async () => {
    const src = scratch.path('src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'data');
    await backup(src, scratch.path('store'), { name: 'n' });
    mkdirSync(mounted);
    execFileSync('mount', ['--bind', scratch.path('store'), mounted]);
    execFileSync('mount', ['-o', 'remount,bind,ro', mounted]);
    const warnings: string[] = [];
    const onWarning = (w: { message: string }): void => void warnings.push(w.message);
    expect((await verify(mounted, { onWarning })).ok).toBe(true);
    await restore(mounted, scratch.path('out'), { onWarning });
    expect(readFileSync(join(scratch.path('out'), 'f'), 'utf8')).toBe('data');
    expect(warnings).toEqual([expect.stringContaining('(EROFS)'), expect.stringContaining('(EROFS)')]);
  });
});
