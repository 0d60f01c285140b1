// An object store's listing may lag behind its objects (Swift's container
// listings do). A backup planned from a listing that does not show the
// newest committed backup yet must not overwrite it: the manifest's HEAD
// is checked first, and the backup stops, writing nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, list, LocalDirectoryStore, restore, verify } from '../lib/backup';
import { scratchDir } from './support/files';
import { snapshotTree } from './support/tree-snapshot';

/** A local store whose listings leave out backup directories named in `hidden`, as a lagging listing would. */
class LaggingStore extends LocalDirectoryStore {
  hidden = new Set<string>();
  override async list(prefix: string): Promise<string[]> {
    return (await super.list(prefix)).filter((name) => !this.hidden.has(name));
  }
}

const contents = (dir: string) =>
  Object.fromEntries(Object.entries(snapshotTree(dir)).map(([path, state]) => [path, state.type === 'dir' ? 'dir' : `${state.type} ${state.sha256 ?? state.target ?? ''}`]));

describe('a lagging listing', () => {
  const scratch = scratchDir('librsync-listing-lag-');
  afterAll(() => scratch.remove());

  it('never lets a backup overwrite a committed backup it did not see', async () => {
    const src = scratch.path('src');
    const dir = scratch.path('store');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), 'version 0\n');
    await backup(src, dir);
    writeFileSync(join(src, 'a'), 'version 1, longer\n');
    const level1 = await backup(src, dir);
    expect(level1.id).toBe('000001-L1');
    const before = contents(dir);

    const store = new LaggingStore(dir);
    store.hidden.add('000001-L1');
    writeFileSync(join(src, 'a'), 'version 2, longer still\n');
    await expect(backup(src, store)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: `${dir}: backup chain-000001/000001-L1 of '${level1.name}' exists, but the store's listing does not show it yet (the listing lags behind); nothing was written: try again in a minute`,
    });
    expect(contents(dir)).toEqual(before);

    // Once the listing has caught up, the next backup is level 2 and all three restore.
    store.hidden.clear();
    expect((await backup(src, store)).id).toBe('000002-L2');
    expect((await verify(dir)).ok).toBe(true);
    const listed = await list(dir);
    expect(listed.names[0].chains[0].backups.map((b) => b.id)).toEqual(['000000-L0', '000001-L1', '000002-L2']);
    const out = scratch.path('out');
    await restore(dir, out, { level: 1 });
    expect(snapshotTree(out).a.sha256).toBe(require('node:crypto').createHash('sha256').update('version 1, longer\n').digest('hex'));
  });
});
