// A store written by someone hostile, who can edit manifests and re-seal
// them (the digest is no secret): restore must never write, link, chmod,
// chown or touch anything outside TARGET, never follow a symlink it
// created, and refuse what it cannot restore with BACKUP_CORRUPT (or
// BACKUP_CHAIN_BROKEN) before it writes anything. verify applies the same
// rules, so a store verify passes is a store restore accepts.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, restore, verify } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { sealed } from './support/manifest-seal';
import { describeNative } from './support/requirements';
import { TreeSnapshot, snapshotTree } from './support/tree-snapshot';
import { readManifest, resolvedEntries } from './support/manifest-text';

const NAME = 'h';
type Line = Record<string, any>;
/** An edit of a manifest's header and entries (the trailer is re-sealed after it). */
type Edit = (header: Line, entries: Line[]) => Line[] | void;

describeNative('a hostile store', () => {
  const scratch = scratchDir('librsync-hostile-');
  afterAll(() => scratch.remove());
  let counter = 0;

  interface Case {
    dir: string;
    store: string;
    outside: string;
    target: string;
    before: TreeSnapshot;
  }

  /** A store with two levels of a small tree (a file, a subdirectory, a symlink, two hard links, a FIFO), and a sentinel tree outside TARGET. */
  async function makeCase(): Promise<Case> {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'a\n');
    writeFileSync(join(src, 'big.bin'), randomBytesSeeded(40_000, 1));
    writeFileSync(join(src, 'sub', 'b.txt'), 'b\n');
    writeFileSync(join(src, 'hl1'), 'linked\n');
    linkSync(join(src, 'hl1'), join(src, 'hl2'));
    symlinkSync('a.txt', join(src, 'ln'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const store = join(dir, 'store');
    await backup(src, store, { name: NAME, blockSize: 1024 });
    writeFileSync(join(src, 'big.bin'), Buffer.concat([Buffer.from('edit'), randomBytesSeeded(40_000, 1)]));
    await backup(src, store, { name: NAME });
    const outside = join(dir, 'outside');
    mkdirSync(join(outside, 'victim-dir'), { recursive: true });
    writeFileSync(join(outside, 'victim.txt'), 'do not touch\n');
    chmodSync(join(outside, 'victim.txt'), 0o640);
    chmodSync(join(outside, 'victim-dir'), 0o750);
    utimesSync(join(outside, 'victim.txt'), 1_000_000, 1_000_000);
    utimesSync(join(outside, 'victim-dir'), 1_000_000, 1_000_000);
    return { dir, store, outside, target: join(dir, 'target'), before: snapshotTree(outside) };
  }

  function manifestPath(c: Case, id: string): string {
    return join(c.store, 'backups', NAME, 'chain-000001', id, 'manifest.jsonl');
  }

  /** Rewrites a manifest with `edit` applied, its inherited entries written out whole first (so the edit sees every field). */
  async function craft(c: Case, id: string, edit: Edit): Promise<void> {
    const path = manifestPath(c, id);
    const lines = readManifest(path).split('\n').slice(0, -1).map((l) => JSON.parse(l) as Line);
    const header = lines[0];
    const trailer = lines[lines.length - 1];
    const entries = (await resolvedEntries(c.store, NAME, 'chain-000001', id)) as Line[];
    const edited = edit(header, entries) ?? entries;
    const body = [header, ...edited].map((l) => `${JSON.stringify(l)}\n`).join('');
    writeFileSync(path, sealed(body, trailer));
  }

  function entryOf(entries: Line[], path: string): Line {
    const found = entries.find((e) => e.path === path);
    if (!found) throw new Error(`no entry ${path}`);
    return found;
  }

  /** Entries sorted as a manifest must be (component-wise), so only the rule under test is broken. */
  function sorted(entries: Line[]): Line[] {
    const key = (p: string): string => p.split('/').join('\u0000');
    return [...entries].sort((a, b) => (key(a.path) < key(b.path) ? -1 : key(a.path) > key(b.path) ? 1 : 0));
  }

  async function expectRefused(c: Case, code: string, message?: RegExp, options: { overwrite?: boolean } = {}): Promise<void> {
    await expect(restore(c.store, c.target, { overwrite: options.overwrite })).rejects.toMatchObject({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });
    // Refused before anything was written (or, over an existing TARGET, nothing new in it).
    if (!options.overwrite) expect(existsSync(c.target) ? readdirSync(c.target) : []).toEqual([]);
    expect(snapshotTree(c.outside)).toEqual(c.before);
    const report = await verify(c.store, {});
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toContain(code);
  }

  const latest = '000001-L1';
  // Every case has four elements: with fewer, jest would take the missing parameter for a `done` callback.
  const cases: [string, Edit, string, RegExp | undefined][] = [
    ['a path with ..', (_h, es) => sorted([...es, { ...entryOf(es, 'a.txt'), path: 'sub/../../escape' }]), 'BACKUP_CORRUPT', /unsafe path/],
    ['an absolute path', (_h, es) => [...es.slice(0, 1), { ...entryOf(es, 'a.txt'), path: '/tmp/escape' }, ...es.slice(1)], 'BACKUP_CORRUPT', /unsafe path/],
    ['a NUL byte in a path', (_h, es) => sorted([...es, { ...entryOf(es, 'a.txt'), path: 'a\u0000b' }]), 'BACKUP_CORRUPT', undefined],
    ['a name longer than 255 bytes', (_h, es) => sorted([...es, { ...entryOf(es, 'a.txt'), path: 'x'.repeat(256) }]), 'BACKUP_CORRUPT', /too long/],
    [
      'a symlink entry followed by entries beneath it',
      (_h, es) => sorted([...es.filter((e) => e.path !== 'ln'), { ...entryOf(es, 'ln'), target: '../outside' }, { ...entryOf(es, 'a.txt'), path: 'ln/victim.txt' }]),
      'BACKUP_CORRUPT',
      /not inside a directory/,
    ],
    [
      'a hard link to a symlink that points outside',
      (_h, es) =>
        es.map((e) =>
          e.path === 'ln' ? { ...e, target: '../outside/victim.txt', hardLinked: true, links: 2, sha256: entryOf(es, 'a.txt').sha256 }
          : e.path === 'pipe' ? { ...entryOf(es, 'a.txt'), path: 'pipe', linkTo: 'ln', hardLinked: true, mode: 0o4777 }
          : e,
        ),
      'BACKUP_CORRUPT',
      /hard link/,
    ],
    ['a hard link to a directory', (_h, es) => es.map((e) => (e.path === 'sub/b.txt' ? { ...e, linkTo: 'sub', hardLinked: true } : e)), 'BACKUP_CORRUPT', /hard link/],
    ['a hard link to a later path', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, linkTo: 'sub/b.txt', hardLinked: true } : e)), 'BACKUP_CORRUPT', /hard link/],
    ['a hard link on a FIFO', (_h, es) => es.map((e) => (e.path === 'pipe' ? { ...e, linkTo: 'a.txt', hardLinked: true } : e)), 'BACKUP_CORRUPT', /regular files only/],
    ['a recipe reaching into another name', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: [{ ...e.recipe[0], pack: '../../../other/chain-000001/000000-L0/d000001.pack' }] } : e)), 'BACKUP_CORRUPT', /pack/],
    ['a recipe naming a backup that is no base', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: [{ ...e.recipe[0], backup: '000007-L7' }] } : e)), 'BACKUP_CHAIN_BROKEN', undefined],
    ['a recipe with a malformed backup id', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: [{ ...e.recipe[0], backup: '../x' }] } : e)), 'BACKUP_CORRUPT', undefined],
    ['a piece beyond the end of its pack', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: [{ ...e.recipe[0], offset: 2 ** 52 }] } : e)), 'BACKUP_CORRUPT', /outside/],
    ['an offset that overflows', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: [{ ...e.recipe[0], offset: 2 ** 64 }] } : e)), 'BACKUP_CORRUPT', undefined],
    ['a size that is not the last step\'s', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, size: e.size + 1 } : e)), 'BACKUP_CORRUPT', /size/],
    ['a reversed recipe', (_h, es) => es.map((e) => (e.path === 'big.bin' ? { ...e, recipe: [...e.recipe].reverse() } : e)), 'BACKUP_CORRUPT', /recipe/],
    ['a NUL byte in a pack name', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: [{ ...e.recipe[0], pack: 'd000001.pack\u0000' }] } : e)), 'BACKUP_CORRUPT', undefined],
    ['a NUL byte in a symlink target', (_h, es) => es.map((e) => (e.path === 'ln' ? { ...e, target: 'a\u0000b' } : e)), 'BACKUP_CORRUPT', /target/],
    ['a huge mtime', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, mtimeNs: '9'.repeat(40) } : e)), 'BACKUP_CORRUPT', /mtime|metadata/],
    ['a negative-huge mtime', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, mtimeNs: `-${'9'.repeat(40)}` } : e)), 'BACKUP_CORRUPT', /mtime|metadata/],
    ['a mode above 07777', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, mode: 2 ** 33 } : e)), 'BACKUP_CORRUPT', /mode|metadata/],
    ['a uid above 2^32', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, uid: 2 ** 33 } : e)), 'BACKUP_CORRUPT', /owner|metadata/],
    ['a gid of -1', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, gid: -1 } : e)), 'BACKUP_CORRUPT', undefined],
    ['a float size', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, size: 1.5 } : e)), 'BACKUP_CORRUPT', undefined],
    ['a string where an object goes', (_h, es) => es.map((e) => (e.path === 'a.txt' ? { ...e, recipe: 'd000001.pack' } : e)), 'BACKUP_CORRUPT', undefined],
    ['a first entry that is not the root', (_h, es) => es.slice(1), 'BACKUP_CORRUPT', /root/],
    ['a source kind changed from a directory to a file', (h) => void (h.source = { ...h.source, kind: 'file' }), 'BACKUP_CORRUPT', /kind/],
  ];

  it.each(cases)('refuses %s, before writing anything, and verify agrees', async (_what, edit, code, message) => {
    const c = await makeCase();
    await craft(c, latest, edit);
    await expectRefused(c, code, message);
  });

  it('ends at once on a header that names itself as its parent (restore and verify)', async () => {
    const c = await makeCase();
    await craft(c, latest, (h) => void (h.parent = h.id));
    const started = Date.now();
    await expect(restore(c.store, c.target, {})).rejects.toMatchObject({ code: 'BACKUP_CHAIN_BROKEN' });
    const report = await verify(c.store, {});
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toContain('BACKUP_CHAIN_BROKEN');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('never sets metadata through a symlink, even one that stood in TARGET before (--overwrite)', async () => {
    const c = await makeCase();
    // TARGET holds symlinks to the outside where the backup has a directory, a file, a FIFO and a symlink.
    mkdirSync(c.target);
    for (const name of ['sub', 'a.txt', 'pipe', 'ln', 'hl2']) symlinkSync(join(c.outside, name === 'sub' ? 'victim-dir' : 'victim.txt'), join(c.target, name));
    await restore(c.store, c.target, { overwrite: true });
    expect(snapshotTree(c.outside)).toEqual(c.before);
    expect(readFileSync(join(c.target, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('restores thousands of nested directories', async () => {
    const c = await makeCase();
    await craft(c, latest, (_h, es) => {
      const dir = entryOf(es, 'sub');
      const nested: Line[] = [];
      for (let depth = 1, path = 'sub/d'; depth <= 2000; depth++, path += '/d') nested.push({ ...dir, path });
      return sorted([...es, ...nested]);
    });
    await restore(c.store, c.target, {});
    expect(existsSync(join(c.target, 'sub', ...Array(2000).fill('d')))).toBe(true);
    expect(snapshotTree(c.outside)).toEqual(c.before);
    execFileSync('rm', ['-rf', c.target]); // fs.rmSync recurses once per level: too deep for its stack
  });

  it('keeps what verify accepts restorable: an untouched store verifies and restores', async () => {
    const c = await makeCase();
    expect((await verify(c.store, {})).ok).toBe(true);
    await restore(c.store, c.target, {});
    expect(readFileSync(join(c.target, 'hl2'), 'utf8')).toBe('linked\n');
  });
});
