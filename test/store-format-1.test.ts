// A store written by format 1 (test/fixtures/store-format-1, made by the
// code of commit 90299b2) stays readable: every level restores to exactly
// the tree it was made from, verify finds it whole, and a new backup into
// it works and restores too.
import { cpSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, list, restore, verify } from '../lib/backup';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixture = require('./fixtures/store-format-1/tree.js') as {
  level(n: number): Record<string, { type: string; data?: Buffer; mode?: number; target?: string; to?: string }>;
  LEVELS: number;
  NAME: string;
};

let work: string;
let store: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'format1-test-'));
  store = join(work, 'store');
  // A copy: readers announce themselves in the store.
  cpSync(join(__dirname, 'fixtures/store-format-1/store'), store, { recursive: true });
});

afterEach(() => rmSync(work, { recursive: true, force: true }));

function listTree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    out.push(path);
    if (lstatSync(join(root, path)).isDirectory()) out.push(...listTree(root, path));
  }
  return out;
}

function expectTree(root: string, n: number): void {
  const tree = fixture.level(n);
  expect(listTree(root)).toEqual(Object.keys(tree).sort());
  for (const [path, want] of Object.entries(tree)) {
    const abs = join(root, path);
    const s = lstatSync(abs);
    if (want.type === 'dir') {
      expect([path, s.isDirectory(), s.mode & 0o7777]).toEqual([path, true, want.mode]);
    } else if (want.type === 'symlink') {
      expect([path, readlinkSync(abs)]).toEqual([path, want.target]);
    } else if (want.type === 'hardlink') {
      expect([path, s.ino]).toEqual([path, lstatSync(join(root, want.to!)).ino]);
    } else {
      expect([path, s.mode & 0o7777]).toEqual([path, want.mode]);
      expect(readFileSync(abs).equals(want.data!)).toBe(true);
    }
  }
}

test('the fixture is a format-1 store', () => {
  expect(JSON.parse(readFileSync(join(store, 'librsync-backup.json'), 'utf8'))).toEqual({ format: 'librsync-backup', version: 1 });
});

test('every level restores exactly and verifies', async () => {
  const listed = await list(store, { name: fixture.NAME });
  expect(listed.names[0].chains.flatMap((c) => c.backups.map((b) => `${c.chain}/${b.id}`))).toEqual(['chain-000001/000000-L0', 'chain-000001/000001-L1', 'chain-000001/000002-L2']);
  for (let n = 0; n < fixture.LEVELS; n++) {
    const target = join(work, `restore-${n}`);
    await restore(store, target, { name: fixture.NAME, level: n });
    expectTree(target, n);
  }
  const report = await verify(store, { name: fixture.NAME });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
});

test('a new level on top of the format-1 chain restores exactly', async () => {
  const source = join(work, 'src');
  await restore(store, source, { name: fixture.NAME, level: 2 });
  writeFileSync(join(source, 'a.txt'), 'changed after format 1\n');
  writeFileSync(join(source, 'later.txt'), 'x'.repeat(100_000));
  const result = await backup(source, store, { name: fixture.NAME });
  expect(result.level).toBe(3);
  const target = join(work, 'restore-3');
  await restore(store, target, { name: fixture.NAME });
  expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('changed after format 1\n');
  expect(readFileSync(join(target, 'later.txt'), 'utf8')).toBe('x'.repeat(100_000));
  expect(readFileSync(join(target, 'big.bin')).equals(fixture.level(2)['big.bin'].data!)).toBe(true);
  expect((await verify(store, { name: fixture.NAME })).ok).toBe(true);
  // Written to in format 2, the store says so: a version reading only format 1 now refuses it.
  expect(JSON.parse(readFileSync(join(store, 'librsync-backup.json'), 'utf8'))).toEqual({ format: 'librsync-backup', version: 2 });
});

test('reading a format-1 store leaves it format 1', async () => {
  await restore(store, join(work, 'r'), { name: fixture.NAME });
  await verify(store, { name: fixture.NAME });
  expect(JSON.parse(readFileSync(join(store, 'librsync-backup.json'), 'utf8'))).toEqual({ format: 'librsync-backup', version: 1 });
});
