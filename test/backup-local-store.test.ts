// The local directory store's own contract, beside what the engine tests
// exercise through it: creation that survives being cut short, files
// readable by their owner only, refusal of what is not a store.
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDirectoryStore, backup } from '../lib/backup';
import { scratchDir } from './support/files';

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
      expect(readdirSync(root).sort()).toEqual(['backups', 'librsync-backup.json']);
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
