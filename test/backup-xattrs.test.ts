// Extended attributes in backups: stored in each entry (sorted, base64,
// only when there are any) and restored, on files, directories, hard links
// and, as root, symlinks and FIFOs; a change to attributes alone is seen by
// the next backup; what cannot be restored (not root, a file system without
// attributes, no addon) is said, and the rest goes on. Every attribute is
// set and read with Python's os.*xattr, not with the code under test.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupWarning, backup, diff, listFiles, restore, verify } from '../lib/backup';
import { ManifestEntry } from '../lib/backup/manifest';
import { runCli } from './support/cli';
import { scratchDir } from './support/files';
import { describeNative, isRoot } from './support/requirements';
import { attributesOf, hex, removeAttribute, setAttributes } from './support/xattr-tools';
import { readManifest } from './support/manifest-text';

const NOBODY = 65534;
const dist = JSON.stringify(join(__dirname, '..', 'dist', 'backup', 'index.js'));

/** Every path's attributes under `root`, keyed by the path relative to it. */
function treeAttributes(root: string): Record<string, Record<string, string>> {
  const paths = ['', ...readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()].map((p) => (p === '' ? root : join(root, p)));
  const all = attributesOf(...paths);
  return Object.fromEntries(paths.map((p) => [p === root ? '.' : p.slice(root.length + 1), all[p]]));
}

/** Warnings come as files finish (several at once): sorted by path to compare. */
function byPathOrder(warnings: BackupWarning[]): BackupWarning[] {
  return [...warnings].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function entries(store: string, level?: number): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  for await (const e of listFiles(store, { level })) out.set(e.path, e);
  return out;
}

/** The manifest lines of one backup, as written. */
function manifestLines(store: string, id: string): string[] {
  const [name] = readdirSync(join(store, 'backups'));
  return readManifest(join(store, 'backups', name, 'chain-000001', id, 'manifest.jsonl')).split('\n');
}

describeNative('extended attributes in backups', () => {
  const scratch = scratchDir('librsync-backup-xattrs-');
  afterAll(() => scratch.remove());

  /** A tree with attributes on a file, a directory, a file in it and a pair of hard links; one file without any. */
  function makeTree(src: string): void {
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'f'), 'content of f\n');
    writeFileSync(join(src, 'plain'), 'no attributes\n');
    writeFileSync(join(src, 'd', 'inner'), 'inner\n');
    writeFileSync(join(src, 'hl1'), 'linked\n');
    linkSync(join(src, 'hl1'), join(src, 'hl2'));
    setAttributes(join(src, 'f'), { 'user.color': 'blue', 'user.bin': Buffer.from([0, 0xff, 0x0a]), 'user.empty': '', 'user.é': 'utf-8 name' });
    setAttributes(join(src, 'd'), { 'user.dir': 'on a directory' });
    setAttributes(join(src, 'd', 'inner'), { 'user.big': Buffer.alloc(3000, 7) });
    setAttributes(join(src, 'hl1'), { 'user.link': 'one inode' });
  }

  it('stores them sorted in base64, only where present, and restores them to every path', async () => {
    const src = scratch.path('src');
    const store = scratch.path('store');
    makeTree(src);
    const warnings: BackupWarning[] = [];
    await backup(src, store, { name: 'x', onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);

    const byPath = await entries(store);
    expect(byPath.get('f')!.xattrs).toEqual({ 'user.bin': 'AP8K', 'user.color': 'Ymx1ZQ==', 'user.empty': '', 'user.é': Buffer.from('utf-8 name').toString('base64') });
    expect(Object.keys(byPath.get('f')!.xattrs!)).toEqual(['user.bin', 'user.color', 'user.empty', 'user.é']);
    expect(byPath.get('d')!.xattrs).toEqual({ 'user.dir': Buffer.from('on a directory').toString('base64') });
    expect(byPath.get('plain')).not.toHaveProperty('xattrs');
    expect(byPath.get('')).not.toHaveProperty('xattrs');
    // The second path of an inode carries them too: each entry restores on its own.
    expect(byPath.get('hl2')).toMatchObject({ linkTo: 'hl1', xattrs: { 'user.link': Buffer.from('one inode').toString('base64') } });
    expect(manifestLines(store, '000000-L0').find((l) => l.includes('"path":"plain"'))).not.toContain('xattrs');

    const target = scratch.path('out');
    await restore(store, target, {});
    expect(treeAttributes(target)).toEqual(treeAttributes(src));
    expect(treeAttributes(target).f).toEqual({ 'user.bin': '00ff0a', 'user.color': hex('blue'), 'user.empty': '', 'user.é': hex('utf-8 name') });

    const alone = scratch.path('out-hl2');
    await restore(store, alone, { paths: ['hl2'] });
    expect(attributesOf(join(alone, 'hl2'))[join(alone, 'hl2')]).toEqual({ 'user.link': hex('one inode') });
    expect((await verify(store, { against: src })).differences).toEqual([]);
  });

  it('sees a change to attributes alone in the next backup, which carries the content over', async () => {
    const src = scratch.path('change-src');
    const store = scratch.path('change-store');
    makeTree(src);
    await backup(src, store, { name: 'c' });
    const mtimeBefore = statSync(join(src, 'f'), { bigint: true }).mtimeNs;
    setAttributes(join(src, 'f'), { 'user.color': 'red' });
    removeAttribute(join(src, 'f'), 'user.empty');
    removeAttribute(join(src, 'd'), 'user.dir');
    setAttributes(join(src, 'plain'), { 'user.new': 'added' });
    expect(statSync(join(src, 'f'), { bigint: true }).mtimeNs).toBe(mtimeBefore);
    const level1 = await backup(src, store, { name: 'c' });
    expect(level1.level).toBe(1);
    // Only ctime changed: the files are read again (ctime is compared), found identical, and stored as a delta of nothing.
    expect(level1.counts.filesRead).toBe(2);
    const l1 = await entries(store, 1);
    expect(l1.get('f')).toMatchObject({ read: true, xattrs: { 'user.color': 'cmVk', 'user.bin': 'AP8K' } });
    expect(l1.get('f')!.xattrs).not.toHaveProperty('user.empty');
    expect(l1.get('d')).not.toHaveProperty('xattrs');
    expect(l1.get('plain')!.xattrs).toEqual({ 'user.new': 'YWRkZWQ=' });
    // A file carried over unread keeps its attributes in the new entry.
    expect(l1.get('d/inner')).toMatchObject({ read: false, xattrs: { 'user.big': Buffer.alloc(3000, 7).toString('base64') } });
    const level2 = await backup(src, store, { name: 'c' });
    expect(level2.counts.filesRead).toBe(0);
    // diff names an attribute-only change as such.
    const changes = await diff(store, { name: 'c', from: { level: 0 }, to: { level: 1 } });
    expect(changes.differences.filter((d) => d.change === 'modified').map((d) => [d.path, d.fields])).toEqual([
      ['d', ['xattrs']],
      ['f', ['xattrs']],
      ['plain', ['xattrs']],
    ]);

    const old = scratch.path('change-out-0');
    const now = scratch.path('change-out-1');
    await restore(store, old, { level: 0 });
    await restore(store, now, { level: 1 });
    expect(treeAttributes(old).f).toEqual({ 'user.bin': '00ff0a', 'user.color': hex('blue'), 'user.empty': '', 'user.é': hex('utf-8 name') });
    expect(treeAttributes(now)).toEqual(treeAttributes(src));
    expect(readFileSync(join(now, 'f'), 'utf8')).toBe('content of f\n');
  });

  it('keeps the attributes of a single-file SOURCE', async () => {
    const file = scratch.path('single.txt');
    writeFileSync(file, 'one file\n');
    setAttributes(file, { 'user.mime_type': 'text/plain' });
    const store = scratch.path('single-store');
    await backup(file, store, { name: 's' });
    const target = scratch.path('single-out');
    await restore(store, target, {});
    expect(attributesOf(join(target, 'single.txt'))[join(target, 'single.txt')]).toEqual({ 'user.mime_type': hex('text/plain') });
  });

  it('lets verify --against report attributes that differ', async () => {
    const src = scratch.path('verify-src');
    const store = scratch.path('verify-store');
    makeTree(src);
    await backup(src, store, { name: 'v' });
    expect((await verify(store, { against: src })).differences).toEqual([]);
    setAttributes(join(src, 'plain'), { 'user.late': '1' });
    removeAttribute(join(src, 'd'), 'user.dir');
    const report = await verify(store, { against: src });
    expect(report.differences).toEqual([
      { path: 'd', change: 'modified', fields: ['xattrs'] },
      { path: 'plain', change: 'modified', fields: ['xattrs'] },
    ]);
  });

  (isRoot ? it : it.skip)('as root, also trusted.* and security.* (on symlinks and FIFOs too); as another user, says which it could not restore', async () => {
    chmodSync(scratch.dir, 0o755);
    const src = scratch.path('root-src');
    const store = scratch.path('root-store');
    makeTree(src);
    symlinkSync('f', join(src, 'ln'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    setAttributes(join(src, 'ln'), { 'trusted.on-link': 'link' });
    setAttributes(join(src, 'pipe'), { 'trusted.on-fifo': 'fifo' });
    setAttributes(join(src, 'f'), { 'trusted.t': 'root only', 'security.test': 'label' });
    await backup(src, store, { name: 'r' });
    const target = scratch.path('root-out');
    await restore(store, target, {});
    expect(treeAttributes(target)).toEqual(treeAttributes(src));
    expect(treeAttributes(target).ln).toEqual({ 'trusted.on-link': hex('link') });
    expect(treeAttributes(target).pipe).toEqual({ 'trusted.on-fifo': hex('fifo') });

    // The same store restored by an unprivileged user: user.* comes back, the rest is named in warnings.
    const copy = scratch.path('root-store-copy');
    cpSync(store, copy, { recursive: true });
    for (const p of ['', ...readdirSync(copy, { recursive: true, encoding: 'utf8' })]) chownSync(join(copy, p), NOBODY, NOBODY);
    const userTarget = scratch.path('user-out');
    mkdirSync(userTarget);
    chownSync(userTarget, NOBODY, NOBODY);
    const script = `
      require(${dist}).restore(${JSON.stringify(copy)}, ${JSON.stringify(userTarget)}, {})
        .then((r) => console.log(JSON.stringify({ files: r.files, warnings: r.warnings })))
        .catch((e) => console.log(JSON.stringify({ error: e.code, message: e.message })));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', uid: NOBODY, gid: NOBODY });
    const result = JSON.parse(run.stdout) as { files: number; warnings: BackupWarning[] };
    expect(result.files).toBe(4);
    expect(byPathOrder(result.warnings)).toEqual([
      { path: 'f', message: 'extended attributes not restored: security.test, trusted.t (needs root)' },
      { path: 'ln', message: 'extended attributes not restored: trusted.on-link (needs root)' },
      { path: 'pipe', message: 'extended attributes not restored: trusted.on-fifo (needs root)' },
    ]);
    const restored = treeAttributes(userTarget);
    expect(restored.f).toEqual({ 'user.bin': '00ff0a', 'user.color': hex('blue'), 'user.empty': '', 'user.é': hex('utf-8 name') });
    expect(restored.d).toEqual({ 'user.dir': hex('on a directory') });
    expect(restored.ln).toEqual({});
  });

  (isRoot ? it : it.skip)('backs up from and restores into a file system without attributes (ramfs): warnings name what was lost', async () => {
    const mount = scratch.path('ramfs');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'ramfs', 'ramfs', mount]);
    try {
      // From: nothing to store, nothing to warn about.
      const bare = join(mount, 'bare');
      mkdirSync(join(bare, 'sub'), { recursive: true });
      writeFileSync(join(bare, 'sub', 'file'), 'on ramfs\n');
      const bareStore = scratch.path('ramfs-store');
      const fromRamfs = await backup(bare, bareStore, { name: 'b' });
      expect(fromRamfs.warnings).toEqual([]);
      expect([...(await entries(bareStore)).values()].filter((e) => e.xattrs)).toEqual([]);

      // Into: the content comes back, each path with attributes says which were lost.
      const src = scratch.path('ramfs-src');
      const store = scratch.path('ramfs-src-store');
      makeTree(src);
      await backup(src, store, { name: 'r' });
      const target = join(mount, 'out');
      const run = runCli(['restore', store, target, '--json'], { cwd: scratch.dir });
      expect(run.status).toBe(2);
      const report = JSON.parse(run.stdout.toString()) as { ok: boolean; files: number; warnings: BackupWarning[] };
      expect(report.files).toBe(4);
      expect(byPathOrder(report.warnings)).toEqual([
        { path: 'd', message: 'extended attributes not restored: user.dir (ENOTSUP)' },
        { path: 'd/inner', message: 'extended attributes not restored: user.big (ENOTSUP)' },
        { path: 'f', message: 'extended attributes not restored: user.bin, user.color, user.empty, user.é (ENOTSUP)' },
        { path: 'hl1', message: 'extended attributes not restored: user.link (ENOTSUP)' },
      ]);
      expect(readFileSync(join(target, 'd', 'inner'), 'utf8')).toBe('inner\n');
      expect(statSync(join(target, 'hl2')).nlink).toBe(2);
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('without the addon: backs up without them, saying so once; a restore names what it could not set', async () => {
    const src = scratch.path('noaddon-src');
    makeTree(src);
    for (let i = 0; i < 5; i++) writeFileSync(join(src, `more-${i}`), `${i}`);
    const noAddon = { LIBRSYNC_PREBUILD: scratch.path('no-prebuilds'), PREBUILDS_ONLY: '1', LIBRSYNC_ADDON_PATH: '', LIBRSYNC_BACKEND: '' };
    mkdirSync(scratch.path('no-prebuilds'));
    const run = runCli(['backup', src, scratch.path('noaddon-store'), '--name', 'n'], { cwd: scratch.dir, env: noAddon });
    expect(run.status).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l.includes('extended attributes'));
    expect(lines).toEqual([expect.stringMatching(/^librsync: warning: \.: extended attributes and ACLs are not backed up: the native addon is not loaded \(No native build was found/)]);
    expect([...(await entries(scratch.path('noaddon-store'))).values()].filter((e) => e.xattrs)).toEqual([]);

    // A store written with the addon, restored without it.
    const store = scratch.path('with-addon-store');
    await backup(src, store, { name: 'n' });
    const target = scratch.path('noaddon-out');
    const restored = runCli(['restore', store, target, '--json'], { cwd: scratch.dir, env: noAddon });
    expect(restored.status).toBe(2);
    const report = JSON.parse(restored.stdout.toString()) as { warnings: BackupWarning[] };
    report.warnings = byPathOrder(report.warnings);
    const reason = /^extended attributes not restored \(the native addon is not loaded \(No native build was found[^)]*\)\): /;
    expect(report.warnings.map((w) => w.path)).toEqual(['d', 'd/inner', 'f', 'hl1']);
    for (const w of report.warnings) expect(w.message).toMatch(reason);
    expect(report.warnings[2].message).toMatch(/: user\.bin, user\.color, user\.empty, user\.é$/);
    expect(treeAttributes(target).f).toEqual({});
    expect(readFileSync(join(target, 'f'), 'utf8')).toBe('content of f\n');
  });
});
