// POSIX ACLs in backups, made with setfacl and compared with getfacl: an
// access ACL on a file, access and default ACLs on a directory, each
// restored with the mode it implies, and in force (another user reads what
// the ACL lets it read); a restore adds no ACL a directory of TARGET would
// pass on, and --overwrite leaves a kept directory with exactly its own.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupWarning, backup, listFiles, restore } from '../lib/backup';
import { scratchDir } from './support/files';
import { describeNative, isRoot } from './support/requirements';
import { snapshotTree } from './support/tree-snapshot';
import { aclsOf, attributesOf, describeWithAclTools, setAttributes, setfacl } from './support/xattr-tools';

const READER = 1234;
const STRANGER = 1235;

/** Reads a file as another user (root only): its content, or undefined when the kernel says no. */
function readAs(uid: number, path: string): string | undefined {
  const run = spawnSync('cat', [path], { uid, gid: uid, encoding: 'utf8' });
  return run.status === 0 ? run.stdout : undefined;
}

describeNative('POSIX ACLs in backups', () => {
  describeWithAclTools('with setfacl and getfacl', () => {
    const scratch = scratchDir('librsync-backup-acls-');
    afterAll(() => scratch.remove());

    function makeTree(src: string): void {
      mkdirSync(join(src, 'shared'), { recursive: true });
      writeFileSync(join(src, 'secret'), 'for the reader only\n', { mode: 0o600 });
      chmodSync(join(src, 'secret'), 0o600);
      writeFileSync(join(src, 'plain'), 'no ACL\n');
      setfacl('-m', `u:${READER}:r,g:2345:r`, join(src, 'secret'));
      setfacl('-m', `g:2345:rx`, join(src, 'shared'));
      setfacl('-d', '-m', `u:${READER}:rwx,o::---`, join(src, 'shared'));
      writeFileSync(join(src, 'shared', 'inherited'), 'got the default ACL\n');
      mkdirSync(join(src, 'shared', 'subdir'));
    }

    it('restores access and default ACLs as getfacl shows them, with the modes they imply', async () => {
      const src = scratch.path('src');
      const store = scratch.path('store');
      makeTree(src);
      const warnings: BackupWarning[] = [];
      await backup(src, store, { name: 'a', onWarning: (w) => warnings.push(w) });
      expect(warnings).toEqual([]);
      const stored = new Map<string, Record<string, string> | undefined>();
      for await (const e of listFiles(store, {})) stored.set(e.path, e.xattrs);
      expect(Object.keys(stored.get('secret')!)).toEqual(['system.posix_acl_access']);
      expect(Object.keys(stored.get('shared')!)).toEqual(['system.posix_acl_access', 'system.posix_acl_default']);
      expect(stored.get('plain')).toBeUndefined();

      const target = scratch.path('out');
      await restore(store, target, {});
      expect(aclsOf(target)).toEqual(aclsOf(src));
      expect(aclsOf(target)).toContain(`# file: ./secret\n# owner: ${process.getuid!()}\n# group: ${process.getgid!()}\nuser::rw-\nuser:${READER}:r--\ngroup::---\ngroup:2345:r--\nmask::r--\nother::---\n`);
      expect(aclsOf(target)).toContain(`default:user:${READER}:rwx\n`);
      // The group bits of each mode are its ACL's mask: the same modes as the source.
      expect(snapshotTree(target, { skipRootTime: true })).toEqual(snapshotTree(src, { skipRootTime: true }));
      expect(snapshotTree(target).secret.mode).toBe(0o640);
      // The restored default ACL is in force: a new file in the directory inherits it.
      writeFileSync(join(target, 'shared', 'new'), 'x');
      expect(aclsOf(join(target, 'shared'))).toContain(`# file: ./new\n# owner: ${process.getuid!()}\n# group: ${process.getgid!()}\nuser::rw-\nuser:${READER}:rwx\t#effective:rw-\n`);
    });

    (isRoot ? it : it.skip)('restores ACLs that are in force: the reader may read, another user may not', async () => {
      chmodSync(scratch.dir, 0o755);
      const src = scratch.path('force-src');
      const store = scratch.path('force-store');
      makeTree(src);
      chmodSync(src, 0o755);
      await backup(src, store, { name: 'f' });
      const target = scratch.path('force-out');
      await restore(store, target, {});
      expect(readAs(READER, join(target, 'secret'))).toBe('for the reader only\n');
      expect(readAs(STRANGER, join(target, 'secret'))).toBeUndefined();
      // Without the ACL the reader is a stranger too: the test can fail.
      setfacl('-b', join(target, 'secret'));
      expect(readAs(READER, join(target, 'secret'))).toBeUndefined();
    });

    it('adds no ACL that a directory of TARGET passes on, and --overwrite removes what a kept directory had of its own', async () => {
      const src = scratch.path('inherit-src');
      const store = scratch.path('inherit-store');
      makeTree(src);
      await backup(src, store, { name: 'i' });
      const target = scratch.path('inherit-out');
      mkdirSync(target);
      // Every file and directory made in TARGET would get this ACL (and directories this default).
      setfacl('-d', '-m', 'u:999:rwx', target);
      await restore(store, target, {});
      expect(aclsOf(target)).toEqual(aclsOf(src));
      expect(aclsOf(target)).not.toContain('999');

      setfacl('-m', 'u:77:r', join(target, 'shared'));
      setfacl('-m', 'u:77:r', join(target, 'plain'));
      setAttributes(join(target, 'shared'), { 'user.stray': 'not in the backup' });
      await restore(store, target, { overwrite: true });
      expect(aclsOf(target)).toEqual(aclsOf(src));
      expect(attributesOf(join(target, 'shared'))[join(target, 'shared')]).not.toHaveProperty('user.stray');
    });

    it('sees an ACL changed alone in the next backup', async () => {
      const src = scratch.path('change-src');
      const store = scratch.path('change-store');
      makeTree(src);
      await backup(src, store, { name: 'c' });
      const before = aclsOf(src);
      setfacl('-m', `u:${STRANGER}:rw`, join(src, 'plain'));
      setfacl('-x', 'g:2345', join(src, 'secret'));
      const level1 = await backup(src, store, { name: 'c' });
      expect(level1.level).toBe(1);
      const old = scratch.path('change-out-0');
      const now = scratch.path('change-out-1');
      await restore(store, old, { level: 0 });
      await restore(store, now, { level: 1 });
      expect(aclsOf(old)).toEqual(before);
      expect(aclsOf(now)).toEqual(aclsOf(src));
      expect(aclsOf(now)).toContain(`user:${STRANGER}:rw-`);
    });
  });
});
