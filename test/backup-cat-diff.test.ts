// Looking inside backups without restoring: cat streams one file of any
// level (rebuilt through its deltas, hash-checked: damage fails it), diff
// lists what changed between two backups from their manifests alone.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BackupDifference, ManifestEntry, backup, cat, diff, listFiles } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { digestOf } from './support/tree-snapshot';

/** cat into memory. */
async function catBytes(store: string, path: string, options: Parameters<typeof cat>[3] = {}): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  await cat(store, path, sink, options);
  return Buffer.concat(chunks);
}

describeNative('cat and diff', () => {
  const scratch = scratchDir('librsync-cat-diff-');
  afterAll(() => scratch.remove());
  const src = scratch.path('src');
  const store = scratch.path('store');
  const versions: Buffer[] = [];

  beforeAll(async () => {
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'gone.txt'), 'soon gone\n');
    writeFileSync(join(src, 'same.txt'), 'unchanged\n');
    symlinkSync('same.txt', join(src, 'link'));
    let data = randomBytesSeeded(300_000, 1);
    for (let level = 0; level < 3; level++) {
      versions.push(data);
      writeFileSync(join(src, 'sub', 'big.bin'), data);
      await backup(src, store, { name: 'c', blockSize: 2048 });
      // The next level: an insertion near the start and an edit further on.
      data = Buffer.concat([data.subarray(0, 1000), Buffer.from(`insert ${level}`), data.subarray(1000)]);
      randomBytesSeeded(5000, 100 + level).copy(data, 150_000);
    }
    rmSync(join(src, 'gone.txt'));
    writeFileSync(join(src, 'new.txt'), 'new\n');
    symlinkSync('new.txt', join(src, 'link2'));
    writeFileSync(join(src, 'sub', 'big.bin'), versions[2]);
    await backup(src, store, { name: 'c' }); // level 3: big.bin unchanged since level 2
  });

  it('cat gives each level\'s version of a file, rebuilt through its deltas, byte for byte', async () => {
    for (let level = 0; level < 3; level++) {
      expect(digestOf(await catBytes(store, 'sub/big.bin', { level }))).toBe(digestOf(versions[level]));
    }
    expect((await catBytes(store, './same.txt')).toString()).toBe('unchanged\n');
  });

  it('cat refuses what is not a file of the backup, with a typed error', async () => {
    await expect(catBytes(store, 'sub')).rejects.toMatchObject({ code: 'RS_PARAM_ERROR', message: expect.stringContaining('is a directory') });
    await expect(catBytes(store, 'link')).rejects.toMatchObject({ code: 'RS_PARAM_ERROR', message: expect.stringContaining('is a symlink') });
    await expect(catBytes(store, 'gone.txt')).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
    await expect(catBytes(store, '../etc/passwd')).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
  });

  it('cat fails with BACKUP_CORRUPT when a piece is damaged', async () => {
    const copy = scratch.path('damaged-store');
    mkdirSync(copy);
    const { execFileSync } = await import('node:child_process');
    execFileSync('cp', ['-a', `${store}/.`, copy]);
    let entry: ManifestEntry | undefined;
    for await (const e of listFiles(copy, { level: 0 })) if (e.path === 'sub/big.bin') entry = e;
    const step = entry!.recipe![0];
    const pack = join(copy, 'backups', 'c', 'chain-000001', step.backup, step.pack);
    const bytes = readFileSync(pack);
    bytes[step.offset + 5000] ^= 1;
    writeFileSync(pack, bytes);
    await expect(catBytes(copy, 'sub/big.bin', { level: 2 })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining("'sub/big.bin'") });
  });

  it('diff lists what was added, removed and modified between two backups, from the manifests', async () => {
    const seen: BackupDifference[] = [];
    const result = await diff(store, { from: { level: 0 }, to: { level: 3 }, onDifference: (d) => void seen.push(d) });
    expect(result.differences).toEqual(seen);
    expect(seen.map((d) => [d.change, d.path, d.fields ?? []])).toEqual([
      ['removed', 'gone.txt', []],
      ['added', 'link2', []],
      ['added', 'new.txt', []],
      ['modified', 'sub/big.bin', ['size', 'content', 'mtime']],
    ]);
    expect(result).toMatchObject({ from: { chain: 'chain-000001', id: '000000-L0' }, to: { chain: 'chain-000001', id: '000003-L3' }, added: 2, removed: 1, modified: 1 });
    expect(result.sizeChange).toBe(versions[2].length - versions[0].length + 'new\n'.length - 'soon gone\n'.length);
    // The other way round, and a backup against itself.
    const back = await diff(store, { from: { level: 3 }, to: { level: 0 } });
    expect([back.added, back.removed, back.modified]).toEqual([1, 2, 1]);
    const none = await diff(store, { from: { level: 2 }, to: { level: 2 } });
    expect(none.differences).toEqual([]);
    await expect(diff(store, { from: { level: 0 }, to: { level: 9 } })).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });
});
