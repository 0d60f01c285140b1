// A hostile store's extended attributes (manifests edited and re-sealed):
// every attribute Linux would not take, or that breaks the bounds of an
// entry, is BACKUP_CORRUPT before a restore writes anything, and verify
// agrees. ACLs are checked as the kernel checks them. A well-formed edit
// goes through, so the refusals are about the attributes and nothing else.
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { backup, listFiles, restore, verify } from '../lib/backup';
import { scratchDir } from './support/files';
import { sealed } from './support/manifest-seal';
import { describeNative } from './support/requirements';
import { attributesOf, hex } from './support/xattr-tools';
import { readManifest } from './support/manifest-text';

type Line = Record<string, any>;
type Edit = (entries: Line[]) => void;

const USER_OBJ = 0x01;
const USER = 0x02;
const GROUP_OBJ = 0x04;
const GROUP = 0x08;
const MASK = 0x10;
const OTHER = 0x20;
const NO_ID = 0xffffffff;

/** An ACL attribute value: version 2, then (tag, permissions, id) entries. */
function acl(entries: [number, number, number][], version = 2): string {
  const out = Buffer.alloc(4 + 8 * entries.length);
  out.writeUInt32LE(version, 0);
  entries.forEach(([tag, perm, id], i) => {
    out.writeUInt16LE(tag, 4 + 8 * i);
    out.writeUInt16LE(perm, 6 + 8 * i);
    out.writeUInt32LE(id, 8 + 8 * i);
  });
  return out.toString('base64');
}

const GOOD_ACL: [number, number, number][] = [[USER_OBJ, 6, NO_ID], [USER, 4, 1234], [GROUP_OBJ, 4, NO_ID], [MASK, 4, NO_ID], [OTHER, 0, NO_ID]];

describeNative('a hostile store\'s extended attributes', () => {
  const scratch = scratchDir('librsync-hostile-xattrs-');
  afterAll(() => scratch.remove());
  let template: string | undefined;
  let counter = 0;

  /** A copy of a one-level store of a file, a directory, a symlink and a FIFO. */
  async function makeStore(): Promise<string> {
    if (!template) {
      template = scratch.path('template');
      const src = scratch.path('src');
      mkdirSync(join(src, 'sub'), { recursive: true });
      writeFileSync(join(src, 'a.txt'), 'a\n');
      symlinkSync('a.txt', join(src, 'ln'));
      execFileSync('mkfifo', [join(src, 'pipe')]);
      await backup(src, template, { name: 'h' });
    }
    const store = scratch.path(`store-${counter++}`);
    execFileSync('cp', ['-a', template, store]);
    return store;
  }

  function craft(store: string, edit: Edit): void {
    const path = join(store, 'backups', 'h', 'chain-000001', '000000-L0', 'manifest.jsonl');
    const lines = readManifest(path).split('\n').slice(0, -1).map((l) => JSON.parse(l) as Line);
    const entries = lines.slice(1, -1);
    edit(entries);
    writeFileSync(path, sealed([lines[0], ...entries].map((l) => `${JSON.stringify(l)}\n`).join(''), lines[lines.length - 1]));
  }

  const on = (path: string, xattrs: unknown): Edit => (entries) => void (entries.find((e) => e.path === path)!.xattrs = xattrs);
  const many = (count: number, nameBytes: number, value: string): Record<string, string> =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`user.${String(i).padStart(4, '0')}`.padEnd(nameBytes, 'n'), value]));

  const cases: [string, Edit, RegExp][] = [
    ['a string', on('a.txt', 'user.a'), /not an object/],
    ['an array', on('a.txt', [['user.a', 'AA==']]), /not an object/],
    ['null', on('a.txt', null), /not an object/],
    ['an empty set', on('a.txt', {}), /empty/],
    ['a namespace Linux does not know', on('a.txt', { 'other.a': 'AA==' }), /namespaces/],
    ['a name that is only a namespace', on('a.txt', { 'user.': 'AA==' }), /namespaces/],
    ['a name over 255 bytes', on('a.txt', { [`user.${'x'.repeat(251)}`]: '' }), /longer than 255/],
    ['a NUL byte in a name', on('a.txt', { 'user.a\u0000b': '' }), /malformed name/],
    ['a name that is not UTF-8 (a lone surrogate)', on('a.txt', { 'user.\ud800': '' }), /malformed name/],
    ['names out of order', on('a.txt', { 'user.b': '', 'user.a': '' }), /out of order/],
    ['a number for a value', on('a.txt', { 'user.a': 5 }), /malformed value/],
    ['a value that is not base64', on('a.txt', { 'user.a': 'not base64!' }), /malformed value/],
    ['a value in base64 with stray bits', on('a.txt', { 'user.a': 'QR==' }), /malformed value/],
    ['a value over 64 KiB', on('a.txt', { 'user.a': Buffer.alloc(65537).toString('base64') }), /longer than 65536/],
    ['more than 1 MiB of attributes', on('a.txt', many(17, 10, Buffer.alloc(65536).toString('base64'))), /more than 1048576 bytes/],
    ['more names than Linux lists', on('a.txt', many(270, 250, '')), /more names than Linux lists/],
    ['user.* on a symlink', on('ln', { 'user.a': '' }), /'user\.a' on a symlink/],
    ['user.* on a FIFO', on('pipe', { 'user.a': '' }), /'user\.a' on a fifo/],
    ['an ACL on a symlink', on('ln', { 'system.posix_acl_access': acl(GOOD_ACL) }), /ACL on a symlink/],
    ['a default ACL on a file', on('a.txt', { 'system.posix_acl_default': acl(GOOD_ACL) }), /default ACL/],
    ['an ACL of another version', on('a.txt', { 'system.posix_acl_access': acl(GOOD_ACL, 1) }), /unknown version/],
    ['an ACL of a broken length', on('a.txt', { 'system.posix_acl_access': Buffer.from(acl(GOOD_ACL), 'base64').subarray(0, 30).toString('base64') }), /length/],
    ['an ACL of only a header', on('a.txt', { 'system.posix_acl_access': acl([]) }), /length/],
    ['an ACL out of order', on('a.txt', { 'system.posix_acl_access': acl([[GROUP_OBJ, 4, NO_ID], [USER_OBJ, 6, NO_ID], [OTHER, 0, NO_ID]]) }), /out of order/],
    ['an ACL with a named user and no mask', on('a.txt', { 'system.posix_acl_access': acl([[USER_OBJ, 6, NO_ID], [USER, 4, 1234], [GROUP_OBJ, 4, NO_ID], [OTHER, 0, NO_ID]]) }), /mask/],
    ['an ACL without its other entry', on('a.txt', { 'system.posix_acl_access': acl([[USER_OBJ, 6, NO_ID], [GROUP_OBJ, 4, NO_ID]]) }), /other entry/],
    ['an ACL entry after other', on('a.txt', { 'system.posix_acl_access': acl([[USER_OBJ, 6, NO_ID], [GROUP_OBJ, 4, NO_ID], [OTHER, 0, NO_ID], [GROUP, 4, 5]]) }), /after/],
    ['an ACL entry of an unknown type', on('a.txt', { 'system.posix_acl_access': acl([[USER_OBJ, 6, NO_ID], [0x40, 4, 5], [GROUP_OBJ, 4, NO_ID], [OTHER, 0, NO_ID]]) }), /unknown type/],
    ['ACL permissions beyond rwx', on('a.txt', { 'system.posix_acl_access': acl([[USER_OBJ, 8, NO_ID], [GROUP_OBJ, 4, NO_ID], [OTHER, 0, NO_ID]]) }), /permission bits/],
    ['an ACL for user (uid_t)-1', on('a.txt', { 'system.posix_acl_access': acl([[USER_OBJ, 6, NO_ID], [USER, 4, NO_ID], [GROUP_OBJ, 4, NO_ID], [MASK, 4, NO_ID], [OTHER, 0, NO_ID]]) }), /no user or group/],
  ];

  it.each(cases)('refuses %s before writing anything, and verify agrees', async (_what, edit, why) => {
    const store = await makeStore();
    craft(store, edit);
    const target = scratch.path(`target-${counter}`);
    const refusal = { code: 'BACKUP_CORRUPT', message: expect.stringMatching(/has malformed extended attributes/) };
    await expect(restore(store, target, {})).rejects.toMatchObject(refusal);
    await expect(restore(store, target, {})).rejects.toThrow(why);
    expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
    const report = await verify(store, {});
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(why) })]);
    await expect((async () => { for await (const _ of listFiles(store, {})) void _; })()).rejects.toMatchObject(refusal);
  });

  it('accepts well-formed attributes written the same way, and restores them', async () => {
    const store = await makeStore();
    craft(store, (entries) => {
      on('a.txt', { 'system.posix_acl_access': acl(GOOD_ACL), 'trusted.x': 'AA==', 'user.crafted': Buffer.from('ok').toString('base64') })(entries);
      on('sub', { 'system.posix_acl_default': acl(GOOD_ACL), 'user.largest': Buffer.alloc(3000, 1).toString('base64') })(entries);
    });
    expect((await verify(store, {})).ok).toBe(true);
    const target = scratch.path('well-formed');
    await restore(store, target, {});
    const file = join(target, 'a.txt');
    const expected: Record<string, string> = { 'system.posix_acl_access': Buffer.from(acl(GOOD_ACL), 'base64').toString('hex'), 'user.crafted': hex('ok') };
    if (process.getuid?.() === 0) expected['trusted.x'] = '00';
    expect(attributesOf(file)[file]).toEqual(expected);
    expect(attributesOf(join(target, 'sub'))[join(target, 'sub')]).toEqual({
      'system.posix_acl_default': Buffer.from(acl(GOOD_ACL), 'base64').toString('hex'),
      'user.largest': hex(Buffer.alloc(3000, 1)),
    });
  });
});
