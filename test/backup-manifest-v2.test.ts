// Version-2 manifests: entries framed and compressed, both ends stored as
// they are (list reads them by range), and an entry that equals the
// parent's written as inherited, resolved from the parent's manifest on
// every read. A level where nothing changed stores little; damage to the
// frames, to an inherited line or to the parent it rests on is
// BACKUP_CORRUPT naming the manifest, never a wrong entry.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LibrsyncError, ManifestEntry, backup, list, listFiles, restore, verify } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { sealed } from './support/manifest-seal';
import { readManifest } from './support/manifest-text';
import { snapshotTree } from './support/tree-snapshot';

const NAME = 'v2';
const scratch = scratchDir('librsync-manifest-v2-');
afterAll(() => scratch.remove());
let counter = 0;

function manifestPath(store: string, id: string): string {
  return join(store, 'backups', NAME, 'chain-000001', id, 'manifest.jsonl');
}

async function entries(store: string, level: number): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for await (const e of listFiles(store, { name: NAME, level })) out.push(e);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<LibrsyncError> {
  try {
    await p;
  } catch (err) {
    return err as LibrsyncError;
  }
  throw new Error('expected a rejection');
}

/** A tree of `files` small text files and one binary, backed up at level 0. */
async function levelZero(files = 200): Promise<{ src: string; store: string }> {
  const dir = scratch.path(`case-${counter++}`);
  const src = join(dir, 'src');
  const store = join(dir, 'store');
  for (let i = 0; i < files; i++) {
    mkdirSync(join(src, `d${i % 10}`), { recursive: true });
    writeFileSync(join(src, `d${i % 10}`, `file-${i}.txt`), `file ${i}\n`.repeat(1 + (i % 7)));
  }
  writeFileSync(join(src, 'blob.bin'), randomBytesSeeded(50_000, 3));
  await backup(src, store, { name: NAME });
  return { src, store };
}

test('a level where nothing changed inherits every entry and stores a small manifest', async () => {
  const { src, store } = await levelZero(2000);
  const result = await backup(src, store, { name: NAME });
  const lines = readManifest(manifestPath(store, '000001-L1')).trimEnd().split('\n');
  const body = lines.slice(1, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(body.length).toBe(2000 + 10 + 2);
  expect(body.every((e) => e.same === true && Object.keys(e).length === 2)).toBe(true);
  const level0 = (await list(store, { name: NAME })).names[0].chains[0].backups[0];
  expect(result.manifestBytes).toBeLessThan(level0.manifestBytes / 4);
  // Resolved, each equals the parent's entry (a file: read false).
  const [before, after] = [await entries(store, 0), await entries(store, 1)];
  expect(after).toEqual(before.map((e) => (e.type === 'file' ? { ...e, read: false } : e)));
  const target = scratch.path(`restore-${counter++}`);
  await restore(store, target, { name: NAME, level: 1 });
  expect(snapshotTree(target, { skipRootTime: true })).toEqual(snapshotTree(src, { skipRootTime: true }));
});

test('a level inherits through a level that inherited: levels 0, 1 and 2 restore exactly', async () => {
  const { src, store } = await levelZero();
  writeFileSync(join(src, 'd1', 'file-1.txt'), 'changed at level 1\n');
  await backup(src, store, { name: NAME });
  const snapshot1 = snapshotTree(src, { skipRootTime: true });
  writeFileSync(join(src, 'd2', 'file-2.txt'), 'changed at level 2\n');
  await backup(src, store, { name: NAME });
  const level2 = readManifest(manifestPath(store, '000002-L2'));
  expect(level2).toContain('{"path":"d1/file-1.txt","same":true}');
  expect(level2).not.toContain('{"path":"d2/file-2.txt","same":true}');
  const e = (await entries(store, 2)).find((x) => x.path === 'd1/file-1.txt')!;
  expect(e.recipe!.map((s) => s.backup)).toEqual(['000001-L1']);
  for (const [level, want] of [[1, snapshot1], [2, snapshotTree(src, { skipRootTime: true })]] as const) {
    const target = scratch.path(`restore-${counter++}`);
    await restore(store, target, { name: NAME, level });
    expect(snapshotTree(target, { skipRootTime: true })).toEqual(want);
  }
  expect((await verify(store, { name: NAME })).ok).toBe(true);
});

test('the ends of a framed manifest are stored as they are, its entries compressed', async () => {
  const { store } = await levelZero(2000);
  const bytes = readFileSync(manifestPath(store, '000000-L0'));
  const text = readManifest(manifestPath(store, '000000-L0'));
  const [header] = text.split('\n');
  const trailer = text.trimEnd().split('\n').pop()!;
  expect(bytes[0]).toBe(0); // a stored frame
  expect(bytes.subarray(9, 9 + header.length).toString()).toBe(header);
  expect(bytes.subarray(bytes.length - trailer.length - 1).toString()).toBe(`${trailer}\n`);
  expect(bytes.length).toBeLessThan(text.length / 3);
});

describe('damage', () => {
  /** Rewrites a manifest (as plain lines: a reader takes both forms) with `edit` applied to its entry lines, resealed. */
  function craft(store: string, id: string, edit: (lines: Record<string, unknown>[]) => void): void {
    const path = manifestPath(store, id);
    const lines = readManifest(path).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const body = lines.slice(1, -1);
    edit(body);
    writeFileSync(path, sealed([lines[0], ...body].map((l) => `${JSON.stringify(l)}\n`).join(''), lines[lines.length - 1]));
  }

  async function twoLevels(): Promise<{ src: string; store: string }> {
    const c = await levelZero();
    await backup(c.src, c.store, { name: NAME });
    return c;
  }

  test.each([
    ['a path its parent lacks', (b: Record<string, unknown>[]) => void (b[3] = { path: 'd3/zzz-not-there', same: true }), /inherited, but its parent 000000-L0 has no such entry/],
    ['an inherited entry with other fields', (b: Record<string, unknown>[]) => void (b[3].mode = 511), /a malformed inherited entry/],
    ['same set to something else', (b: Record<string, unknown>[]) => void (b[3].same = 1), /a malformed inherited entry/],
    ['an unsafe inherited path', (b: Record<string, unknown>[]) => void (b[1] = { path: '../escape', same: true }), /unsafe path/],
  ])('an inherited line with %s is BACKUP_CORRUPT', async (_what, edit, message) => {
    const { store } = await twoLevels();
    craft(store, '000001-L1', edit);
    const err = await rejection(restore(store, scratch.path(`restore-${counter++}`), { name: NAME }));
    expect(err.code).toBe('BACKUP_CORRUPT');
    expect(err.message).toMatch(/000001-L1\/manifest.jsonl is corrupt/);
    expect(err.message).toMatch(message);
  });

  test('an inherited line in a level 0 is BACKUP_CORRUPT', async () => {
    const { store } = await levelZero();
    craft(store, '000000-L0', (b) => void (b[2] = { path: (b[2] as { path: string }).path, same: true }));
    const err = await rejection(restore(store, scratch.path(`restore-${counter++}`), { name: NAME }));
    expect([err.code, err.message]).toEqual(['BACKUP_CORRUPT', expect.stringMatching(/is inherited, but there is no parent backup/)]);
  });

  test('a parent edited without its digest fails the level that inherits from it', async () => {
    const { store } = await twoLevels();
    const path = manifestPath(store, '000000-L0');
    const text = readManifest(path);
    writeFileSync(path, text.replace('"mode":420', '"mode":511'));
    const err = await rejection(restore(store, scratch.path(`restore-${counter++}`), { name: NAME, level: 1 }));
    expect([err.code, err.message]).toEqual(['BACKUP_CORRUPT', expect.stringMatching(/000000-L0\/manifest.jsonl is corrupt: its digest does not match/)]);
  });

  test('a flipped byte inside the compressed entries is BACKUP_CORRUPT naming the manifest', async () => {
    const { store } = await levelZero(2000);
    const path = manifestPath(store, '000000-L0');
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0x10;
    writeFileSync(path, bytes);
    const err = await rejection(restore(store, scratch.path(`restore-${counter++}`), { name: NAME }));
    expect([err.code, err.message]).toEqual(['BACKUP_CORRUPT', expect.stringMatching(/000000-L0\/manifest.jsonl is corrupt/)]);
    const report = await verify(store, { name: NAME });
    expect(report.ok).toBe(false);
  });

  test('a framed manifest cut anywhere is damage, in list and in restore', async () => {
    const { store } = await levelZero(2000);
    const path = manifestPath(store, '000000-L0');
    const bytes = readFileSync(path);
    for (const cut of [bytes.length - 1, bytes.length - 20, Math.floor(bytes.length / 2), 12]) {
      writeFileSync(path, bytes.subarray(0, cut));
      const listed = await list(store, { name: NAME });
      expect(JSON.stringify(listed)).toMatch(/manifest.jsonl is corrupt/);
      const err = await rejection(restore(store, scratch.path(`restore-${counter++}`), { name: NAME }));
      expect(err.code).toMatch(/BACKUP_CORRUPT|BACKUP_NOT_FOUND/);
    }
  });
});
