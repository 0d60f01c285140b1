// Metadata and names that are easy to lose: set-id and sticky bits (also
// on files owned by someone else, where chown would clear them), names
// with newlines, a name that is not UTF-8 (skipped, with a warning that
// names it), a path that goes file → directory → symlink → file.
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupWarning, backup, restore } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { TreeSnapshot, snapshotTree } from './support/tree-snapshot';

describeNative('backup metadata fidelity', () => {
  const scratch = scratchDir('librsync-backup-metadata-');
  afterAll(() => scratch.remove());

  it('restores set-id and sticky bits, odd names and a path changing type at every level', async () => {
    const src = scratch.path('src');
    const store = scratch.path('store');
    mkdirSync(join(src, 'shared'), { recursive: true });
    chmodSync(join(src, 'shared'), 0o1777);
    mkdirSync(join(src, 'group'));
    chmodSync(join(src, 'group'), 0o2770);
    writeFileSync(join(src, 'suid'), '#!/bin/sh\n');
    chownSync(join(src, 'suid'), 1234, 5678);
    chmodSync(join(src, 'suid'), 0o4755);
    writeFileSync(join(src, 'sgid'), 'x');
    chmodSync(join(src, 'sgid'), 0o2711);
    writeFileSync(join(src, 'line\nbreak'), 'newline in the name');
    symlinkSync('target\nwith newline', join(src, 'odd-link'));
    writeFileSync(join(src, 'morph'), 'a file first');
    writeFileSync(join(src, Buffer.from('6c617469e9', 'hex').toString('latin1')), 'stored'); // valid UTF-8 ("latié")

    const snapshots: TreeSnapshot[] = [];
    const warnings: BackupWarning[][] = [];
    const level = async (): Promise<void> => {
      const seen: BackupWarning[] = [];
      await backup(src, store, { name: 'meta', blockSize: 1024, onWarning: (w) => seen.push(w) });
      warnings.push(seen);
      snapshots.push(snapshotTree(src));
    };
    await level();
    rmSync(join(src, 'morph'));
    mkdirSync(join(src, 'morph'));
    writeFileSync(join(src, 'morph', 'inside'), 'now a directory');
    await level();
    rmSync(join(src, 'morph'), { recursive: true });
    symlinkSync('suid', join(src, 'morph'));
    await level();
    rmSync(join(src, 'morph'));
    writeFileSync(join(src, 'morph'), 'a file again');
    await level();

    expect(warnings.flat()).toEqual([]);
    for (let i = 0; i < snapshots.length; i++) {
      const target = scratch.path(`out-${i}`);
      await restore(store, target, { name: 'meta', level: i });
      expect(snapshotTree(target)).toEqual(snapshots[i]);
    }
    expect(snapshots[0].suid.mode).toBe(0o4755);
    expect(snapshots[0].shared.mode).toBe(0o1777);
    expect(readdirSync(scratch.path('out-0'))).toContain('line\nbreak');
  });

  it('skips a name that is not UTF-8 with a warning naming its directory and its bytes', async () => {
    const src = scratch.path('names');
    mkdirSync(join(src, 'dir'), { recursive: true });
    writeFileSync(join(src, 'dir', 'good'), 'kept');
    writeFileSync(Buffer.concat([Buffer.from(join(src, 'dir')), Buffer.from('/bad-\xff', 'latin1')]), 'not UTF-8');
    const seen: BackupWarning[] = [];
    const result = await backup(src, scratch.path('names-store'), { onWarning: (w) => seen.push(w) });
    expect(result.counts.warnings).toBe(1);
    expect(seen).toEqual([{ path: 'dir', message: expect.stringMatching(/not valid UTF-8.*bad-\\xff/) }]);
    const target = scratch.path('names-out');
    await restore(scratch.path('names-store'), target, {});
    expect(readdirSync(join(target, 'dir'))).toEqual(['good']);
  });
});
