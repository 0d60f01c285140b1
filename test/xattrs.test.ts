// The addon's extended-attribute calls, checked against what Python's
// os.*xattr (the kernel) sees: by path without following symlinks, on
// descriptors, Node-style errors, and arguments refused before any call.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { nativeBinding } from '../lib/native-binding';
import { getXattr, listXattrs, readXattrs, removeXattr, setXattr, xattrsUnavailableReason } from '../lib/xattrs';
import { scratchDir } from './support/files';
import { describeAsRoot, describeNative, isRoot } from './support/requirements';
import { attributesOf, hex, setAttributes } from './support/xattr-tools';

describeNative('extended attributes through the addon', () => {
  const scratch = scratchDir('librsync-xattrs-');
  afterAll(() => scratch.remove());

  it('is available on Linux with the addon', () => {
    expect(xattrsUnavailableReason()).toBeUndefined();
  });

  it('sets, lists, reads and removes by path, as the kernel sees them', async () => {
    const file = scratch.path('plain');
    writeFileSync(file, 'x');
    const big = Buffer.alloc(3000, 0xab); // ext4 keeps a file's attributes in one block: 64 KiB values are for the tmpfs test below
    await setXattr(file, 'user.empty', Buffer.alloc(0));
    await setXattr(file, 'user.bin', Buffer.from([0, 255, 10, 0]));
    await setXattr(file, Buffer.from('user.é'), Buffer.from('utf-8 name'));
    await setXattr(file, 'user.big', big);
    expect(attributesOf(file)[file]).toEqual({ 'user.big': hex(big), 'user.bin': '00ff0a00', 'user.empty': '', 'user.é': hex('utf-8 name') });
    expect((await listXattrs(file)).map(String).sort()).toEqual(['user.big', 'user.bin', 'user.empty', 'user.é']);
    expect(await getXattr(file, 'user.bin')).toEqual(Buffer.from([0, 255, 10, 0]));
    expect((await getXattr(file, 'user.big')).equals(big)).toBe(true);
    await removeXattr(file, 'user.big');
    expect(Object.keys(attributesOf(file)[file])).toEqual(['user.bin', 'user.empty', 'user.é']);
  });

  it('reads everything in one call, names in byte order, and stops at maxBytes', async () => {
    const file = scratch.path('all');
    writeFileSync(file, 'x');
    setAttributes(file, { 'user.b': 'bb', 'user.a': 'a', 'user.c': 'ccc' });
    const all = await readXattrs(file);
    expect(all.map((i) => [String(i.name), String(i.value)])).toEqual([['user.a', 'a'], ['user.b', 'bb'], ['user.c', 'ccc']]);
    // 'user.a' + 'a' is 7 bytes, 'user.b' + 'bb' 8 more: a bound of 14 keeps the first only, and reads no further.
    const bounded = await readXattrs(file, 14);
    expect(bounded).toEqual([{ name: Buffer.from('user.a'), value: Buffer.from('a') }, { name: Buffer.from('user.b'), skipped: true }, { name: Buffer.from('user.c'), skipped: true }]);
    expect(await readXattrs(scratch.path('all'), 15)).toHaveLength(3);
  });

  it('never follows a symlink by path; a descriptor reaches the file itself', async () => {
    const target = scratch.path('target');
    const link = scratch.path('link');
    writeFileSync(target, 'x');
    symlinkSync(target, link);
    setAttributes(target, { 'user.on-target': '1' });
    expect(await listXattrs(link)).toEqual([]);
    // Linux keeps user.* on files and directories only: on the link itself it is refused, not set on the target.
    await expect(setXattr(link, 'user.x', Buffer.from('1'))).rejects.toMatchObject({ code: 'EPERM', syscall: 'lsetxattr', path: link, attribute: 'user.x' });
    expect(Object.keys(attributesOf(target)[target])).toEqual(['user.on-target']);
    const fd = openSync(target, 'r');
    try {
      expect((await listXattrs(fd)).map(String)).toEqual(['user.on-target']);
      await setXattr(fd, 'user.by-fd', Buffer.from('2'));
      expect(await getXattr(fd, 'user.by-fd')).toEqual(Buffer.from('2'));
      expect((await readXattrs(fd)).map((i) => String(i.name))).toEqual(['user.by-fd', 'user.on-target']);
      await removeXattr(fd, 'user.on-target');
    } finally {
      closeSync(fd);
    }
    expect(attributesOf(target)[target]).toEqual({ 'user.by-fd': hex('2') });
    if (isRoot) {
      // trusted.* can sit on a symlink (root only).
      await setXattr(link, 'trusted.on-link', Buffer.from('3'));
      expect(attributesOf(link)[link]).toEqual({ 'trusted.on-link': hex('3') });
      expect(attributesOf(target)[target]).toEqual({ 'user.by-fd': hex('2') });
    }
  });

  it('fails like Node\'s fs does: ENODATA, ENOENT, EEXIST, EBADF, ENOTSUP, EINVAL', async () => {
    const file = scratch.path('errors');
    writeFileSync(file, 'x');
    await expect(getXattr(file, 'user.none')).rejects.toMatchObject({
      code: 'ENODATA',
      errno: -61,
      syscall: 'lgetxattr',
      path: file,
      attribute: 'user.none',
      message: `ENODATA: no data available, lgetxattr '${file}' user.none`,
    });
    await expect(removeXattr(file, 'user.none')).rejects.toMatchObject({ code: 'ENODATA', syscall: 'lremovexattr' });
    await expect(listXattrs(scratch.path('missing'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'llistxattr' });
    await expect(readXattrs(scratch.path('missing'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'llistxattr' });
    await setXattr(file, 'user.once', Buffer.from('1'), 'create');
    await expect(setXattr(file, 'user.once', Buffer.from('2'), 'create')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(setXattr(file, 'user.never', Buffer.from('2'), 'replace')).rejects.toMatchObject({ code: 'ENODATA' });
    await setXattr(file, 'user.once', Buffer.from('3'), 'replace');
    expect(await getXattr(file, 'user.once')).toEqual(Buffer.from('3'));
    await expect(listXattrs(2 ** 31 - 1)).rejects.toMatchObject({ code: 'EBADF', syscall: 'flistxattr', fd: 2 ** 31 - 1, message: `EBADF: bad file descriptor, flistxattr fd ${2 ** 31 - 1}` });
    // A namespace Linux does not know.
    await expect(setXattr(file, 'nonsense.x', Buffer.from('1'))).rejects.toMatchObject({ code: 'ENOTSUP' });
    mkdirSync(scratch.path('dir'));
    // An ACL of the right version with an entry of no known type: the kernel's own check.
    const badAcl = Buffer.from('0200000040000700ffffffff', 'hex');
    await expect(setXattr(scratch.path('dir'), 'system.posix_acl_access', badAcl)).rejects.toMatchObject({ code: 'EINVAL', syscall: 'lsetxattr' });
  });

  it('refuses bad arguments with RS_PARAM_ERROR before any system call', async () => {
    const file = scratch.path('params');
    writeFileSync(file, 'x');
    const refused = { code: 'RS_PARAM_ERROR' };
    await expect(listXattrs('')).rejects.toMatchObject(refused);
    await expect(listXattrs('a\0b')).rejects.toMatchObject(refused);
    await expect(listXattrs(`/${'x'.repeat(4096)}`)).rejects.toMatchObject(refused);
    await expect(listXattrs(-1)).rejects.toMatchObject(refused);
    await expect(listXattrs(1.5)).rejects.toMatchObject(refused);
    await expect(listXattrs(2 ** 31)).rejects.toMatchObject(refused);
    await expect(getXattr(file, '')).rejects.toMatchObject(refused);
    await expect(getXattr(file, `user.${'x'.repeat(251)}`)).rejects.toMatchObject(refused);
    await expect(getXattr(file, 'user.a\0b')).rejects.toMatchObject(refused);
    await expect(setXattr(file, 'user.big', Buffer.alloc(65537))).rejects.toMatchObject(refused);
    await expect(readXattrs(file, -1)).rejects.toMatchObject(refused);
    // The binding itself, called wrongly.
    const binding = nativeBinding();
    const callback = (): void => undefined;
    const call = (f: () => void): unknown => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const calls: (() => void)[] = [
      () => (binding.xattrList as (...a: unknown[]) => void)(file),
      () => (binding.xattrList as (...a: unknown[]) => void)({}, callback),
      () => (binding.xattrGet as (...a: unknown[]) => void)(file, 5, callback),
      () => (binding.xattrSet as (...a: unknown[]) => void)(file, 'user.a', 'not bytes', 0, callback),
      () => (binding.xattrSet as (...a: unknown[]) => void)(file, 'user.a', Buffer.alloc(1), 3, callback),
      () => (binding.xattrSet as (...a: unknown[]) => void)(file, 'user.a', new Uint16Array(1), 0, callback),
      () => (binding.xattrRemove as (...a: unknown[]) => void)(file, 'user.a', callback, 'extra'),
      () => (binding.xattrReadAll as (...a: unknown[]) => void)(file, 1e300, callback),
    ];
    for (const f of calls) expect(call(f)).toMatchObject({ code: 'RS_PARAM_ERROR' });
    // Nothing was set by any of them.
    expect(attributesOf(file)[file]).toEqual({});
  });
});

describeAsRoot('extended attributes of the largest size Linux allows (tmpfs)', () => {
  const scratch = scratchDir('librsync-xattrs-tmpfs-');
  const mount = scratch.path('tmpfs');
  beforeAll(() => {
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
  });
  afterAll(() => {
    execFileSync('umount', [mount]);
    scratch.remove();
  });

  it('sets and reads values of 64 KiB, and refuses one byte more', async () => {
    const file = `${mount}/f`;
    writeFileSync(file, 'x');
    const largest = Buffer.alloc(65536, 0x5a);
    await setXattr(file, 'user.largest', largest);
    await setXattr(file, 'user.second', largest);
    expect(attributesOf(file)[file]).toEqual({ 'user.largest': hex(largest), 'user.second': hex(largest) });
    expect((await getXattr(file, 'user.largest')).equals(largest)).toBe(true);
    const all = await readXattrs(file);
    expect(all.map((i) => [String(i.name), i.value?.length])).toEqual([['user.largest', 65536], ['user.second', 65536]]);
    await expect(setXattr(file, 'user.over', Buffer.alloc(65537))).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
  });

  it('says E2BIG when the names are more than Linux lists (64 KiB)', async () => {
    const file = `${mount}/many`;
    writeFileSync(file, 'x');
    // 270 names of 250 bytes (67,770 with their NULs): tmpfs holds them, listxattr cannot return them.
    for (let i = 0; i < 270; i++) await setXattr(file, `user.${String(i).padStart(3, '0')}${'n'.repeat(242)}`, Buffer.alloc(0));
    await expect(listXattrs(file)).rejects.toMatchObject({ code: 'E2BIG', syscall: 'llistxattr' });
    await expect(readXattrs(file)).rejects.toMatchObject({ code: 'E2BIG', syscall: 'llistxattr' });
    expect(await getXattr(file, `user.000${'n'.repeat(242)}`)).toEqual(Buffer.alloc(0));
  });
});
