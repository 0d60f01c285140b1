// End to end over four levels with every kind of change: each level is
// restored and compared (content and metadata) with a snapshot of the
// source taken right after that level's backup.
import { appendFileSync, chmodSync, chownSync, mkdirSync, renameSync, rmSync, symlinkSync, linkSync, truncateSync, unlinkSync, writeFileSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BackupResult, ManifestEntry, backup, listFiles, restore, verify } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeEachBackend } from './support/requirements';
import { TreeSnapshot, snapshotTree } from './support/tree-snapshot';

const BLOCK = 1024;

async function entriesOf(store: string, level: number): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  for await (const e of listFiles(store, { level })) out.set(e.path, e);
  return out;
}

function overwriteAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

function insertAt(path: string, offset: number, bytes: Buffer): void {
  const data = readFileSync(path);
  writeFileSync(path, Buffer.concat([data.subarray(0, offset), bytes, data.subarray(offset)]));
}

describeEachBackend('backup levels end to end', () => {
  const scratch = scratchDir('librsync-backup-levels-');
  const src = scratch.path('src');
  const store = scratch.path('store');
  const snapshots: TreeSnapshot[] = [];
  const results: BackupResult[] = [];
  afterAll(() => scratch.remove());

  async function backupLevel(): Promise<BackupResult> {
    const result = await backup(src, store, { name: 'tree', blockSize: BLOCK });
    results.push(result);
    snapshots.push(snapshotTree(src));
    return result;
  }

  beforeAll(async () => {
    // Level 0.
    mkdirSync(src);
    writeFileSync(join(src, 'big.bin'), randomBytesSeeded(256 << 10, 1));
    writeFileSync(join(src, 'ins.bin'), randomBytesSeeded(128 << 10, 2));
    writeFileSync(join(src, 'trunc.bin'), randomBytesSeeded(64 << 10, 3));
    writeFileSync(join(src, 'grow.bin'), randomBytesSeeded(10 << 10, 4));
    writeFileSync(join(src, 'small.txt'), 'hello\n');
    writeFileSync(join(src, 'empty.txt'), '');
    writeFileSync(join(src, 'del.txt'), 'delete me\n');
    writeFileSync(join(src, 'ren.txt'), randomBytesSeeded(20 << 10, 5));
    writeFileSync(join(src, 'mode.txt'), 'mode\n', { mode: 0o644 });
    writeFileSync(join(src, 'secret.txt'), 'secret\n', { mode: 0o600 });
    writeFileSync(join(src, 'owner.txt'), 'owned\n');
    chownSync(join(src, 'owner.txt'), 1234, 5678);
    writeFileSync(join(src, 'f2dir'), 'file that becomes a directory\n');
    writeFileSync(join(src, 'f2link'), 'file that becomes a symlink\n');
    mkdirSync(join(src, 'd2file'));
    writeFileSync(join(src, 'd2file', 'inner.txt'), 'inner\n');
    symlinkSync('big.bin', join(src, 'link'));
    symlinkSync('does/not/exist', join(src, 'dangling'));
    mkdirSync(join(src, 'hard'));
    writeFileSync(join(src, 'hard', 'a'), randomBytesSeeded(32 << 10, 6));
    linkSync(join(src, 'hard', 'a'), join(src, 'hard', 'b'));
    mkdirSync(join(src, 'emptydir'), { mode: 0o750 });
    mkdirSync(join(src, 'deep', 'x', 'y'), { recursive: true });
    writeFileSync(join(src, 'deep', 'x', 'y', 'z.txt'), 'deep\n');
    execFileSync('mkfifo', [join(src, 'fifo')]);
    await backupLevel();

    // Level 1: edits in place, an insertion near the start, truncation, growth,
    // delete, add, rename, chmod, type changes, a retargeted symlink, a new hard link.
    overwriteAt(join(src, 'big.bin'), 50_000, randomBytesSeeded(100, 7));
    insertAt(join(src, 'ins.bin'), 100, Buffer.from('0123456789'));
    truncateSync(join(src, 'trunc.bin'), 30_000);
    appendFileSync(join(src, 'grow.bin'), randomBytesSeeded(50 << 10, 8));
    unlinkSync(join(src, 'del.txt'));
    writeFileSync(join(src, 'new.txt'), 'new\n');
    renameSync(join(src, 'ren.txt'), join(src, 'renamed.txt'));
    chmodSync(join(src, 'mode.txt'), 0o755);
    unlinkSync(join(src, 'f2dir'));
    mkdirSync(join(src, 'f2dir'));
    writeFileSync(join(src, 'f2dir', 'child.txt'), 'child\n');
    unlinkSync(join(src, 'f2link'));
    symlinkSync('small.txt', join(src, 'f2link'));
    rmSync(join(src, 'd2file'), { recursive: true });
    writeFileSync(join(src, 'd2file'), 'directory that became a file\n');
    unlinkSync(join(src, 'link'));
    symlinkSync('ins.bin', join(src, 'link'));
    overwriteAt(join(src, 'hard', 'a'), 10, Buffer.from('changed through a'));
    linkSync(join(src, 'hard', 'a'), join(src, 'hard', 'c'));
    mkdirSync(join(src, 'emptydir2'));
    await backupLevel();

    // Level 2: a one-byte insertion at the very start, an old file edited,
    // a subtree deleted, a directory back to a file.
    insertAt(join(src, 'big.bin'), 0, Buffer.from('!'));
    writeFileSync(join(src, 'small.txt'), 'hello again\n');
    rmSync(join(src, 'deep'), { recursive: true });
    rmSync(join(src, 'f2dir'), { recursive: true });
    writeFileSync(join(src, 'f2dir'), 'a file again\n');
    writeFileSync(join(src, 'secret.txt'), 'new secret\n');
    await backupLevel();

    // Level 3: nothing changed.
    await backupLevel();
  });

  it('numbers the levels of one chain in order, each against the one before', () => {
    expect(results.map((r) => [r.chain, r.id, r.level, r.parent])).toEqual([
      ['chain-000001', '000000-L0', 0, null],
      ['chain-000001', '000001-L1', 1, '000000-L0'],
      ['chain-000001', '000002-L2', 2, '000001-L1'],
      ['chain-000001', '000003-L3', 3, '000002-L2'],
    ]);
  });

  it.each([0, 1, 2, 3])('restores level %i exactly as the source was', async (level) => {
    const target = scratch.path(`restore-${level}`);
    const result = await restore(store, target, { level });
    expect(result.level).toBe(level);
    expect(snapshotTree(target)).toEqual(snapshots[level]);
  });

  it('reads only changed files and stores deltas, not whole files', async () => {
    const [, l1, l2, l3] = results;
    const level1 = await entriesOf(store, 1);
    for (const unchanged of ['small.txt', 'empty.txt', 'secret.txt', 'owner.txt']) expect(level1.get(unchanged)?.read).toBe(false);
    for (const changed of ['big.bin', 'ins.bin', 'trunc.bin', 'grow.bin', 'renamed.txt', 'hard/a']) expect(level1.get(changed)?.read).toBe(true);
    // An edit in place and an insertion near the start are small deltas (a rolling delta, not block i vs block i).
    for (const name of ['big.bin', 'ins.bin']) {
      const recipe = level1.get(name)!.recipe!;
      expect(recipe.map((s) => [s.backup, s.kind])).toEqual([
        ['000000-L0', 'raw'],
        ['000001-L1', 'delta'],
      ]);
      expect(recipe[1].length).toBeLessThan(4 * BLOCK);
    }
    const level2 = await entriesOf(store, 2);
    const bigSteps = level2.get('big.bin')!.recipe!;
    expect(bigSteps).toHaveLength(3);
    expect(bigSteps[2].length).toBeLessThan(4 * BLOCK);
    expect(level1.get('del.txt')?.type).toBe('deleted');
    expect(level1.get('ren.txt')?.type).toBe('deleted');
    expect(level1.get('hard/c')?.linkTo).toBe('hard/a');
    expect(l1.counts.bytesStored).toBeLessThan(150_000);
    expect(l2.counts.bytesStored).toBeLessThan(30_000);
    expect(l3.counts).toMatchObject({ filesRead: 0, bytesRead: 0, bytesStored: 0 });
    expect(l3.counts.filesUnchanged).toBe(l3.counts.files - l3.counts.hardLinks);
  });

  it('verifies every level and finds the live tree equal to the newest', async () => {
    const report = await verify(store, { against: src });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.backups).toHaveLength(4);
    expect(report.differenceCount).toBe(0);
  });

  it('reports live changes with verify --against', async () => {
    writeFileSync(join(src, 'small.txt'), 'hellO again\n'); // same size, other content
    writeFileSync(join(src, 'added.txt'), 'x');
    unlinkSync(join(src, 'new.txt'));
    const report = await verify(store, { against: src, level: 3 });
    expect(report.differences).toEqual([
      { path: 'added.txt', change: 'added' },
      { path: 'new.txt', change: 'deleted' },
      { path: 'small.txt', change: 'modified', fields: ['mtime', 'content'] },
    ]);
    expect(report.differences!.map((d) => d.path)).not.toContain('.');
  });
});
