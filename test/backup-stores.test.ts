// The backup engine end to end, once per store in test/support/stores.ts
// (the local directory store, a store with small packs finishing late,
// an S3 store on a real Swift, and whatever store is added there): levels
// with every kind of change,
// each restored exactly; partial restore; packs as the store sized them;
// verify, and damage found by verify and by restore; a retention policy;
// an aborted backup, and (where the CLI reaches the store) a backup process
// killed with SIGKILL; an aborted restore.
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BackupResult, BackupStore, ManifestEntry, backup, list, listFiles, prune, restore, verify } from '../lib/backup';
import { PACK_TARGET_BYTES } from '../lib/backup/pack-writer';
import { backupPrefix, chainPrefix } from '../lib/backup/store-keys';
import { endAndFinish } from '../lib/backup/stream-waits';
import { CLI_PATH } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { STORES, StoreUnderTest, factoryAvailable, storeObject } from './support/stores';
import { describeWithSwift } from './support/swift/swift-server';
import { TreeSnapshot, snapshotTree, subtree } from './support/tree-snapshot';

const NAME = 'engine';
/** Small blocks, so a 1% change of the big file is a delta of about 1%. */
const BLOCK = 4096;
const BIG = 4 << 20;

function overwriteAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** 200 small files (200 bytes to 3 KB) in four directories: many share each pack. */
function writeMany(root: string, seed: number): void {
  for (let d = 0; d < 4; d++) {
    mkdirSync(join(root, 'many', `d${d}`), { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(join(root, 'many', `d${d}`, `f${f}`), randomBytesSeeded(200 + ((f * 53) % 2800), seed + d * 100 + f));
  }
}

/** Level 0: every kind of path, each set up for the change it gets at level 1. */
function makeLevel0(src: string): void {
  mkdirSync(src);
  writeFileSync(join(src, 'big.bin'), randomBytesSeeded(BIG, 1));
  writeMany(src, 1000);
  writeFileSync(join(src, 'empty.txt'), '');
  writeFileSync(join(src, 'fills.txt'), '');
  writeFileSync(join(src, 'empties.txt'), 'content that goes\n');
  writeFileSync(join(src, 'gone.txt'), 'removed at level 1\n');
  writeFileSync(join(src, 'mode.txt'), 'mode\n', { mode: 0o644 });
  writeFileSync(join(src, 'f2dir'), 'a file, then a directory, then a file\n');
  writeFileSync(join(src, 'f2link'), 'a file, then a symlink\n');
  mkdirSync(join(src, 'd2file'));
  writeFileSync(join(src, 'd2file', 'inner.txt'), 'inner\n');
  mkdirSync(join(src, 'd2link'));
  writeFileSync(join(src, 'd2link', 'inner.txt'), 'inner\n');
  symlinkSync('big.bin', join(src, 'l2file'));
  symlinkSync('many', join(src, 'l2dir'));
  symlinkSync('big.bin', join(src, 'link'));
  symlinkSync('no/such/file', join(src, 'dangling'));
  mkdirSync(join(src, 'hard'));
  writeFileSync(join(src, 'hard', 'a'), randomBytesSeeded(30_000, 2));
  linkSync(join(src, 'hard', 'a'), join(src, 'hard', 'b'));
  writeFileSync(join(src, 'hard', 'x'), randomBytesSeeded(20_000, 3));
  linkSync(join(src, 'hard', 'x'), join(src, 'hard', 'y'));
  mkdirSync(join(src, 'emptydir'), { mode: 0o750 });
  chmodSync(join(src, 'emptydir'), 0o750);
}

/** Level 1: added, removed, modified, emptied and filled, modes, every type change, hard links made and broken, 1% of the big file. */
function changeLevel1(src: string): void {
  overwriteAt(join(src, 'big.bin'), 1_000_000, randomBytesSeeded(BIG / 100, 4));
  for (let f = 0; f < 5; f++) writeFileSync(join(src, 'many', 'd0', `f${f}`), randomBytesSeeded(1500, 5000 + f));
  for (let f = 0; f < 5; f++) unlinkSync(join(src, 'many', 'd1', `f${f}`));
  for (let f = 0; f < 5; f++) writeFileSync(join(src, 'many', 'd2', `new${f}`), randomBytesSeeded(900, 6000 + f));
  writeFileSync(join(src, 'fills.txt'), 'no longer empty\n');
  truncateSync(join(src, 'empties.txt'), 0);
  unlinkSync(join(src, 'gone.txt'));
  writeFileSync(join(src, 'added.txt'), 'added at level 1\n');
  chmodSync(join(src, 'mode.txt'), 0o755);
  chmodSync(join(src, 'emptydir'), 0o700);
  unlinkSync(join(src, 'f2dir'));
  mkdirSync(join(src, 'f2dir'));
  writeFileSync(join(src, 'f2dir', 'child.txt'), 'child\n');
  unlinkSync(join(src, 'f2link'));
  symlinkSync('empty.txt', join(src, 'f2link'));
  rmSync(join(src, 'd2file'), { recursive: true });
  writeFileSync(join(src, 'd2file'), 'was a directory\n');
  rmSync(join(src, 'd2link'), { recursive: true });
  symlinkSync('hard', join(src, 'd2link'));
  unlinkSync(join(src, 'l2file'));
  writeFileSync(join(src, 'l2file'), 'was a symlink\n');
  unlinkSync(join(src, 'l2dir'));
  mkdirSync(join(src, 'l2dir'));
  writeFileSync(join(src, 'l2dir', 'child.txt'), randomBytesSeeded(4000, 7));
  unlinkSync(join(src, 'link'));
  symlinkSync('added.txt', join(src, 'link'));
  overwriteAt(join(src, 'hard', 'a'), 100, Buffer.from('changed through a'));
  linkSync(join(src, 'hard', 'a'), join(src, 'hard', 'c'));
  unlinkSync(join(src, 'hard', 'y'));
  writeFileSync(join(src, 'hard', 'y'), 'no longer a link to x\n');
}

/** Level 2: a byte inserted at the very start of the big file, a directory back to a file, a subtree gone. */
function changeLevel2(src: string): void {
  writeFileSync(join(src, 'big.bin'), Buffer.concat([Buffer.from('!'), readFileSync(join(src, 'big.bin'))]));
  rmSync(join(src, 'f2dir'), { recursive: true });
  writeFileSync(join(src, 'f2dir'), 'a file again\n');
  rmSync(join(src, 'many', 'd3'), { recursive: true });
  writeFileSync(join(src, 'late.txt'), 'added at level 2\n');
}

async function readObjectBytes(store: BackupStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.readObject(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function writeObjectBytes(store: BackupStore, key: string, bytes: Buffer): Promise<void> {
  const writer = store.writeObject(key);
  try {
    await endAndFinish(writer, bytes);
  } finally {
    await writer.settled();
  }
}

async function entryOf(store: BackupStore | string, level: number, path: string): Promise<ManifestEntry> {
  for await (const e of listFiles(store, { level })) if (e.path === path) return e;
  throw new Error(`no ${path} at level ${level}`);
}

/** Committed backups and uncommitted leftovers of each chain, as list() shows them. */
async function chainsOf(store: BackupStore | string): Promise<{ chain: string; backups: string[]; uncommitted: string[] }[]> {
  const listed = await list(store, { name: NAME });
  return listed.names[0].chains.map((c) => ({ chain: c.chain, backups: c.backups.map((b) => b.id), uncommitted: c.uncommitted }));
}

/** The paths a restore left in TARGET that are not in `expected` or differ from it, other than directories (whose metadata comes last). */
function partialPaths(target: string, expected: TreeSnapshot): string[] {
  return Object.entries(snapshotTree(target))
    .filter(([path, state]) => {
      if (state.type === 'dir') return path.startsWith('.librsync-restore-');
      const want = expected[path];
      return !want || want.type !== state.type || want.sha256 !== state.sha256 || want.size !== state.size || want.target !== state.target || want.mode !== state.mode;
    })
    .map(([path]) => path);
}

for (const factory of STORES) {
  // A store whose server is not installed skips with a warning (fails in CI).
  const describeStore = factoryAvailable(factory) ? describeNative : describeWithSwift;
  describeStore(`backup engine on the ${factory.name} store`, () => {
    const scratch = scratchDir('librsync-stores-');
    const made: StoreUnderTest[] = [];
    beforeAll(async () => {
      await factory.start?.();
    });
    afterAll(async () => {
      try {
        for (const one of made) await one.cleanup();
        scratch.remove();
      } finally {
        await factory.stop?.();
      }
    });

    async function freshStore(): Promise<StoreUnderTest> {
      const one = await factory.create();
      made.push(one);
      return one;
    }

    describe('levels with every kind of change', () => {
      const src = scratch.path('levels-src');
      const snapshots: TreeSnapshot[] = [];
      const results: BackupResult[] = [];
      let store: BackupStore | string;

      async function backupLevel(): Promise<void> {
        results.push(await backup(src, store, { name: NAME, blockSize: BLOCK, compression: factory.compression }));
        snapshots.push(snapshotTree(src));
      }

      beforeAll(async () => {
        store = (await freshStore()).store;
        makeLevel0(src);
        await backupLevel();
        changeLevel1(src);
        await backupLevel();
        changeLevel2(src);
        await backupLevel();
        await backupLevel(); // nothing changed
      });

      it('makes one chain of four levels, each against the one before, storing only what changed', async () => {
        expect(results.map((r) => [r.chain, r.id, r.parent])).toEqual([
          ['chain-000001', '000000-L0', null],
          ['chain-000001', '000001-L1', '000000-L0'],
          ['chain-000001', '000002-L2', '000001-L1'],
          ['chain-000001', '000003-L3', '000002-L2'],
        ]);
        const big = await entryOf(store, 1, 'big.bin');
        expect(big.read).toBe(true);
        expect(big.recipe!.map((s) => [s.backup, s.kind])).toEqual([
          ['000000-L0', 'raw'],
          ['000001-L1', 'delta'],
        ]);
        // 1% changed: the delta is the changed bytes and a block or two, not the file.
        expect(big.recipe![1].length).toBeGreaterThan(BIG / 100);
        expect(big.recipe![1].length).toBeLessThan(BIG / 100 + 3 * BLOCK);
        expect((await entryOf(store, 2, 'big.bin')).recipe!.map((s) => s.kind)).toEqual(['raw', 'delta', 'delta']);
        expect((await entryOf(store, 1, 'many/d0/f10')).read).toBe(false);
        expect((await entryOf(store, 1, 'gone.txt')).type).toBe('deleted');
        expect((await entryOf(store, 1, 'hard/c')).linkTo).toBe('hard/a');
        expect(results[1].counts.bytesStored).toBeLessThan(BIG / 25);
        expect(results[3].counts).toMatchObject({ filesRead: 0, bytesRead: 0, bytesStored: 0 });
      });

      it.each([0, 1, 2, 3])('restores level %i exactly as the source was', async (level) => {
        const target = scratch.path(`restore-${level}`);
        const result = await restore(store, target, { level });
        expect(result.id).toBe(results[level].id);
        expect(snapshotTree(target)).toEqual(snapshots[level]);
      });

      it("cuts packs at the store's packTargetBytes and holds exactly the bytes the manifests record", async () => {
        const object = storeObject(store);
        const target = object.packTargetBytes ?? PACK_TARGET_BYTES;
        for (const result of results) {
          const prefix = backupPrefix(NAME, result.chain, result.id);
          const sizes: Record<string, number> = {};
          for (const name of await object.list(prefix)) if (name.endsWith('.pack')) sizes[name] = (await object.objectSize(`${prefix}/${name}`))!;
          const where = result.id;
          expect({ where, stored: Object.values(sizes).reduce((a, b) => a + b, 0) }).toEqual({ where, stored: result.counts.bytesStored });
          for (const kind of ['d', 's']) {
            const packs = Object.keys(sizes).filter((n) => n.startsWith(kind)).sort();
            const bytes = packs.reduce((sum, n) => sum + sizes[n], 0);
            // Full packs but the last: small files share packs, never one object each.
            for (const name of packs.slice(0, -1)) expect({ where, name, full: sizes[name] >= target }).toEqual({ where, name, full: true });
            expect({ where, kind, few: packs.length <= Math.floor(bytes / target) + 1 }).toEqual({ where, kind, few: true });
          }
        }
      });

      it('restores chosen paths of a level (a subtree, a hard link alone, a directory that was a symlink) and nothing else', async () => {
        const target = scratch.path('partial');
        await restore(store, target, { level: 1, paths: ['many/d0', 'hard/c', 'l2dir'] });
        const restored = snapshotTree(target);
        for (const root of ['many/d0', 'l2dir']) expect(subtree(restored, root)).toEqual(subtree(snapshots[1], root));
        const { linkGroup: _group, ...linkAlone } = snapshots[1]['hard/c'];
        expect(restored['hard/c']).toEqual(linkAlone);
        const expectedPaths = ['.', 'hard', 'hard/c', 'many', ...Object.keys(subtree(snapshots[1], 'many/d0')), ...Object.keys(subtree(snapshots[1], 'l2dir'))];
        expect(Object.keys(restored).sort()).toEqual(expectedPaths.sort());
      });

      it('verifies every level, and the live source equals the newest', async () => {
        const report = await verify(store, { against: src });
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
        expect(report.backups).toHaveLength(4);
        expect(report.differenceCount).toBe(0);
      });

      it('finds a damaged piece with verify and with restore (BACKUP_CORRUPT), writes no partial file, and verifies again once repaired', async () => {
        const object = storeObject(store);
        const step = (await entryOf(store, 1, 'big.bin')).recipe![0];
        const key = `${backupPrefix(NAME, 'chain-000001', step.backup)}/${step.pack}`;
        const original = await readObjectBytes(object, key);
        const damaged = Buffer.from(original);
        damaged[step.offset + Math.floor(step.length / 2)] ^= 0x01;
        await writeObjectBytes(object, key, damaged);
        try {
          const message = /'big.bin': its data stored by level 0 \(000000-L0\) is corrupt/;
          const report = await verify(store, {});
          expect(report.ok).toBe(false);
          expect(report.problems).toEqual([expect.objectContaining({ code: 'BACKUP_CORRUPT', backup: '000000-L0', path: 'big.bin', message: expect.stringMatching(message) })]);
          const target = scratch.path('damaged');
          await expect(restore(store, target, { level: 1 })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(message) });
          expect(partialPaths(target, snapshots[1])).toEqual([]);
          expect(readdirSync(target)).not.toContain('big.bin');
        } finally {
          await writeObjectBytes(object, key, original);
        }
        expect((await verify(store, {})).problems).toEqual([]);
      });
    });

    describe('retention', () => {
      it('prune keepLast removes whole chains no kept backup needs; what is left verifies and restores exactly', async () => {
        const { store } = await freshStore();
        const src = scratch.path('retention-src');
        mkdirSync(src);
        const states = new Map<string, TreeSnapshot>();
        for (let i = 0; i < 6; i++) {
          writeFileSync(join(src, 'f.bin'), Buffer.concat([Buffer.from(`version ${i}`), randomBytesSeeded(20_000, 1)]));
          writeFileSync(join(src, `added-${i}.txt`), `${i}\n`);
          const result = await backup(src, store, { name: NAME, maxLevel: 1, blockSize: 1024, compression: factory.compression });
          states.set(`${result.chain}/${result.id}`, snapshotTree(src));
        }
        const all = [
          { chain: 'chain-000001', backups: ['000000-L0', '000001-L1'], uncommitted: [] },
          { chain: 'chain-000002', backups: ['000000-L0', '000001-L1'], uncommitted: [] },
          { chain: 'chain-000003', backups: ['000000-L0', '000001-L1'], uncommitted: [] },
        ];
        expect(await chainsOf(store)).toEqual(all);
        const dry = await prune(store, { keepLast: 3, dryRun: true });
        expect(dry.removed.map((r) => [r.chain, r.whole])).toEqual([['chain-000001', true]]);
        expect(await chainsOf(store)).toEqual(all);
        // The newest three: chain 3 and chain 2's level 1, which needs its level 0: chain 1 goes.
        const pruned = await prune(store, { keepLast: 3 });
        expect(pruned.removed.map((r) => [r.chain, r.whole, r.backups])).toEqual([['chain-000001', true, ['000000-L0', '000001-L1']]]);
        expect(pruned.decisions.filter((d) => !d.keep).map((d) => `${d.chain}/${d.id}`)).toEqual(['chain-000001/000001-L1', 'chain-000001/000000-L0']);
        expect(await chainsOf(store)).toEqual(all.slice(1));
        expect(await storeObject(store).list(chainPrefix(NAME, 'chain-000001'))).toEqual([]);
        expect(await storeObject(store).list(NAME)).toEqual(['chain-000002', 'chain-000003']);
        expect((await verify(store, {})).problems).toEqual([]);
        for (const key of ['chain-000002/000000-L0', 'chain-000002/000001-L1', 'chain-000003/000000-L0', 'chain-000003/000001-L1']) {
          const target = scratch.path(`retained-${key.replace('/', '-')}`);
          await restore(store, target, { backup: key });
          expect({ key, tree: snapshotTree(target) }).toEqual({ key, tree: states.get(key) });
        }
      });
    });

    describe('interruptions', () => {
      const src = scratch.path('interrupt-src');
      let under: StoreUnderTest;
      /** The source as each committed backup saw it, by id. */
      const states = new Map<string, TreeSnapshot>();
      let version = 0;

      /** A new version of the source: half the small files and the big file rewritten (much to store). */
      function change(): void {
        version++;
        for (let d = 0; d < 2; d++) for (let f = 0; f < 50; f++) writeFileSync(join(src, 'many', `d${d}`, `f${f}`), randomBytesSeeded(2000, version * 10_000 + d * 100 + f));
        writeFileSync(join(src, 'big.bin'), randomBytesSeeded(BIG, version * 10_000 + 9999));
      }

      async function backupNow(): Promise<BackupResult> {
        const result = await backup(src, under.store, { name: NAME, compression: factory.compression });
        states.set(result.id, snapshotTree(src));
        return result;
      }

      /**
       * Only committed backups remain (and, after a kill, at most the killed
       * run's leftover), each restores exactly, and the next backup commits,
       * removes the leftover and restores exactly.
       */
      async function expectRecovered(committed: string[], where: 'aborted' | 'killed'): Promise<void> {
        // Nothing lands late: every writer of the interrupted run is closed.
        await new Promise((resolve) => setTimeout(resolve, 100));
        const chains = await chainsOf(under.store);
        expect({ where, backups: chains[0].backups }).toEqual({ where, backups: committed });
        // A failed run removes what it wrote; only a killed one cannot.
        if (where === 'aborted') {
          expect({ where, uncommitted: chains[0].uncommitted }).toEqual({ where, uncommitted: [] });
          // Nor a lock, a temporary file or an unfinished multipart upload.
          expect({ where, leftovers: await under.leftovers() }).toEqual({ where, leftovers: [] });
        }
        expect({ where, problems: (await verify(under.store, {})).problems }).toEqual({ where, problems: [] });
        const newest = committed[committed.length - 1];
        const before = scratch.path(`before-${where}`);
        await restore(under.store, before, { backup: `chain-000001/${newest}` });
        expect({ where, tree: snapshotTree(before) }).toEqual({ where, tree: states.get(newest) });
        const next = await backupNow();
        expect({ where, chains: await chainsOf(under.store) }).toEqual({ where, chains: [{ chain: 'chain-000001', backups: [...committed, next.id], uncommitted: [] }] });
        expect({ where, objects: await storeObject(under.store).list(chainPrefix(NAME, 'chain-000001')) }).toEqual({ where, objects: [...committed, next.id] });
        expect({ where, leftovers: await under.leftovers() }).toEqual({ where, leftovers: [] });
        const after = scratch.path(`after-${where}`);
        await restore(under.store, after, {});
        expect({ where, tree: snapshotTree(after) }).toEqual({ where, tree: states.get(next.id) });
      }

      beforeAll(async () => {
        under = await freshStore();
        mkdirSync(src);
        writeMany(src, 1);
        writeFileSync(join(src, 'big.bin'), randomBytesSeeded(BIG, 2));
        await backupNow();
      });

      it('a backup aborted mid-run (AbortSignal) commits nothing; earlier backups stay whole and the next backup works', async () => {
        change();
        const stop = new AbortController();
        let filesAtAbort = 0;
        const run = backup(src, under.store, {
          name: NAME,
          compression: factory.compression,
          signal: stop.signal,
          onProgress: (p) => {
            // Among the small files, past the big one: packs are being filled and closed.
            if (p.files >= 60 && !stop.signal.aborted) {
              filesAtAbort = p.files;
              stop.abort();
            }
          },
        });
        await expect(run).rejects.toMatchObject({ name: 'AbortError' });
        expect(filesAtAbort).toBeGreaterThan(0);
        await expectRecovered(['000000-L0'], 'aborted');
      });

      it('an aborted restore leaves no partial file at a final name; the next restore completes it', async () => {
        const newest = [...states.keys()].pop()!;
        const target = scratch.path('restore-aborted');
        const stop = new AbortController();
        await expect(
          restore(under.store, target, {
            signal: stop.signal,
            onProgress: (p) => {
              if (p.files >= 40) stop.abort();
            },
          }),
        ).rejects.toMatchObject({ name: 'AbortError' });
        const placed = Object.values(snapshotTree(target)).filter((s) => s.type === 'file').length;
        expect(placed).toBeGreaterThan(0);
        expect(placed).toBeLessThan(Object.values(states.get(newest)!).filter((s) => s.type === 'file').length);
        expect(partialPaths(target, states.get(newest)!)).toEqual([]);
        await restore(under.store, target, { overwrite: true });
        expect(snapshotTree(target)).toEqual(states.get(newest));
      });

      if (factory.cli) {
        it('a backup process killed with SIGKILL commits nothing; earlier backups stay whole and the next backup cleans up', async () => {
          expect(under.cli).toBeDefined();
          const { args, env } = under.cli!;
          const committed = (await chainsOf(under.store))[0].backups;
          let killed = false;
          for (let attempt = 0; !killed && attempt < 5; attempt++) {
            change();
            const before = snapshotTree(src);
            const child: ChildProcess = spawn(process.execPath, [CLI_PATH, 'backup', src, ...args, '--name', NAME, '--progress', ...(factory.compression ? ['--compression', factory.compression] : [])], {
              stdio: ['ignore', 'ignore', 'pipe'],
              env: { ...process.env, ...env },
            });
            const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
            // Killed as it reports its first file: mid-way through reading the source.
            child.stderr!.on('data', (chunk: Buffer) => {
              if (/\d+ files?/.test(chunk.toString())) child.kill('SIGKILL');
            });
            const [status, signal] = await exited;
            killed = signal === 'SIGKILL';
            if (!killed) {
              // Finished before the kill: a backup like any other.
              expect(status).toBe(0);
              const chains = await chainsOf(under.store);
              committed.splice(0, committed.length, ...chains[0].backups);
              states.set(committed[committed.length - 1], before);
            }
          }
          expect(killed).toBe(true);
          await expectRecovered(committed, 'killed');
        });
      }
    });
  });
}
