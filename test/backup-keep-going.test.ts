// restore past damage: without --keep-going the first damaged file stops
// the restore, and the error says how far it got and that --keep-going
// exists; with it, every file that can be restored is, the damaged ones are
// never written, and they are listed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestEntry, backup, listFiles, restore } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { snapshotTree } from './support/tree-snapshot';

describeNative('restore --keep-going', () => {
  const scratch = scratchDir('librsync-keep-going-');
  afterAll(() => scratch.remove());

  let cases = 0;
  async function damagedStore(): Promise<{ store: string; src: string }> {
    const src = scratch.path(`src-${cases}`);
    const store = scratch.path(`store-${cases++}`);
    mkdirSync(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(src, 'sub', `f${String(i).padStart(2, '0')}`), randomBytesSeeded(5000 + i, i + 1));
    await backup(src, store, { name: 'k' });
    // Flip a byte in the stored data of two files.
    for (const victim of ['sub/f03', 'sub/f17']) {
      let entry: ManifestEntry | undefined;
      for await (const e of listFiles(store, {})) if (e.path === victim) entry = e;
      const step = entry!.recipe![0];
      const pack = join(store, 'backups', 'k', 'chain-000001', step.backup, step.pack);
      const bytes = readFileSync(pack);
      bytes[step.offset + 10] ^= 0xff;
      writeFileSync(pack, bytes);
    }
    return { store, src };
  }

  it('without it, stops at the first damaged file and says how far it got and what --keep-going does', async () => {
    const { store } = await damagedStore();
    await expect(restore(store, scratch.path('stopped'), {})).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringMatching(/'sub\/f(03|17)'.*corrupt.*\(\d+ files? restored before it stopped; --keep-going restores every file that can be\)/),
    });
  });

  it('with it, restores every other file exactly, never writes the damaged ones, and lists them', async () => {
    const { store, src } = await damagedStore();
    const target = scratch.path('kept-going');
    const result = await restore(store, target, { keepGoing: true });
    expect(result.damaged.map((d) => [d.path, d.code])).toEqual([
      ['sub/f03', 'BACKUP_CORRUPT'],
      ['sub/f17', 'BACKUP_CORRUPT'],
    ]);
    expect(result.damagedCount).toBe(2);
    expect(result.files).toBe(18);
    expect(existsSync(join(target, 'sub', 'f03'))).toBe(false);
    const expected = snapshotTree(src);
    delete expected['sub/f03'];
    delete expected['sub/f17'];
    expect(snapshotTree(target)).toEqual(expected);
  });
});
