// Full disks, for real: STORE and TARGET on a small ext4 (loop device) or
// tmpfs that the test mounts, filled to leave from nothing to about one
// level's size free. Every trial must end in a clear ENOSPC error (exit
// 100 with its --json object) or a committed level, never a silent exit 0;
// nothing half-committed, no lock or temporary file left; and once space
// is freed the next run works, every level still verifies and restores
// bit-exact. A restore that fills TARGET leaves each file old or new.
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunResult, runCli } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeAsRoot } from './support/requirements';
import { DiskKind, SmallDisk } from './support/small-disk';
import { TreeSnapshot, snapshotTree } from './support/tree-snapshot';

function json(result: RunResult): Record<string, any> {
  return JSON.parse(result.stdout.toString());
}

/** Every path below `dir` (relative), files and directories. */
function allPaths(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/** 300 small files (read ahead, in memory) in 10 directories and three big ones (streamed): a manifest of ~100 KiB. */
function makeSource(src: string): void {
  for (let d = 0; d < 10; d++) {
    mkdirSync(join(src, `dir${d}`), { recursive: true });
    for (let f = 0; f < 30; f++) writeFileSync(join(src, `dir${d}`, `small-${f}.bin`), randomBytesSeeded(1000 + ((d * 30 + f) * 97) % 7000, d * 100 + f + 1));
  }
  writeFileSync(join(src, 'big-a.bin'), randomBytesSeeded(2 << 20, 7001));
  writeFileSync(join(src, 'big-b.bin'), randomBytesSeeded(3 << 20, 7002));
}

/** Changes for level 1: rewritten small files, a big file edited in place, a new big file. */
function changeSource(src: string): void {
  for (let d = 0; d < 10; d += 2) for (let f = 0; f < 30; f += 3) writeFileSync(join(src, `dir${d}`, `small-${f}.bin`), randomBytesSeeded(3000, 9000 + d * 30 + f));
  const big = randomBytesSeeded(2 << 20, 7001);
  randomBytesSeeded(256 << 10, 7100).copy(big, 1 << 20);
  writeFileSync(join(src, 'big-a.bin'), big);
  writeFileSync(join(src, 'big-c.bin'), randomBytesSeeded(2 << 20, 7003));
}

/** Which object a full disk stopped, from the error's message. */
function failedObject(message: string): string {
  if (/\/d\d+\.pack'/.test(message)) return 'data pack';
  if (/\/s\d+\.pack'/.test(message)) return 'signature pack';
  if (/manifest\.jsonl'/.test(message)) return 'manifest';
  if (/librsync-backup\.json'/.test(message)) return 'store marker';
  if (/\/lock[.']/.test(message)) return 'lock';
  return 'directory';
}

for (const kind of ['ext4', 'tmpfs'] as DiskKind[]) {
  describeAsRoot(`a full disk (${kind})`, () => {
    const scratch = scratchDir(`librsync-full-disk-${kind}-`);
    const disk = new SmallDisk(scratch.dir, kind, 48 << 20);
    const src = scratch.path('src');
    const pristine = scratch.path('pristine-store');
    const store = disk.path('store');
    const cli = (...args: string[]): RunResult => runCli(args, { cwd: scratch.dir, timeoutMs: 60_000 });
    let level0: TreeSnapshot;
    let level1: TreeSnapshot;
    /** Bytes a level writes (packs and manifest), measured with room to spare. */
    const need: Record<string, { packs: number; manifest: number }> = {};

    beforeAll(() => {
      disk.mount();
      makeSource(src);
      level0 = snapshotTree(src);
      // The store every trial starts from: a committed level 0 of the source.
      expect(cli('backup', src, pristine, '--name', 'n', '--json').status).toBe(0);
      changeSource(src);
      level1 = snapshotTree(src);
      for (const level of ['0', '1']) {
        cpSync(pristine, store, { recursive: true });
        const result = cli('backup', src, store, '--name', 'n', '--level', level, '--json');
        expect(result.status).toBe(0);
        const summary = json(result);
        need[level] = { packs: summary.counts.bytesStored, manifest: summary.manifestBytes };
        rmSync(store, { recursive: true });
      }
    });
    afterAll(() => {
      disk.unmount();
      scratch.remove();
    });

    /** From nothing free to a little more than a level takes: through the data, the signatures and the manifest. */
    function freeSpaceTrials(level: string): number[] {
      const { packs, manifest } = need[level];
      const total = packs + manifest;
      return [0, 4096, 64 << 10, Math.round(packs * 0.3), Math.round(packs * 0.7), packs - (64 << 10), packs - 4096, packs + (manifest >> 1), total - 4096, total + (256 << 10)];
    }

    const failedAt = new Set<string>();

    for (const level of ['0', '1']) {
      it(`level ${level}: ENOSPC anywhere is exit 100, nothing committed or left behind, and the next run works`, () => {
        for (const free of freeSpaceTrials(level)) {
          rmSync(store, { recursive: true, force: true });
          cpSync(pristine, store, { recursive: true });
          const before = json(cli('list', store, '--json')).names[0].chains.flatMap((c: any) => c.backups.map((b: any) => `${c.chain}/${b.id}`));
          disk.fill(free);
          const trial = cli('backup', src, store, '--name', 'n', '--level', level, '--json', '--no-progress');
          disk.unfill();
          const where = `level ${level} with ${free} bytes free`;
          // Never a silent exit: a JSON object either way.
          const outcome = json(trial);
          if (trial.status === 0) {
            expect({ where, ok: outcome.ok }).toEqual({ where, ok: true });
          } else {
            expect({ where, status: trial.status, error: outcome.error }).toMatchObject({ where, status: 100, error: { code: 'RS_IO_ERROR', systemCode: 'ENOSPC' } });
            failedAt.add(failedObject(outcome.error.message));
            // Nothing committed half-way, nothing left behind.
            const after = json(cli('list', store, '--json')).names[0].chains;
            expect({ where, backups: after.flatMap((c: any) => c.backups.map((b: any) => `${c.chain}/${b.id}`)) }).toEqual({ where, backups: before });
            expect({ where, uncommitted: after.flatMap((c: any) => c.uncommitted) }).toEqual({ where, uncommitted: [] });
            expect({ where, leftovers: allPaths(store).filter((p) => p.endsWith('.tmp') || p === 'lock' || p.includes('takeover')) }).toEqual({ where, leftovers: [] });
          }
          // Space freed: the next run commits, and everything verifies and restores exactly.
          const next = cli('backup', src, store, '--name', 'n', '--level', level, '--json', '--no-progress');
          expect({ where, status: next.status }).toEqual({ where, status: 0 });
          expect({ where, verify: cli('verify', store, '--json').status }).toEqual({ where, verify: 0 });
          const target = scratch.path('restored');
          rmSync(target, { recursive: true, force: true });
          expect(cli('restore', store, target).status).toBe(0);
          expect(snapshotTree(target)).toEqual(level1);
          rmSync(target, { recursive: true });
        }
        // The level every trial started from (verify above checked its every piece), restored once.
        const target = scratch.path('restored');
        expect(cli('restore', store, target, '--at', json(cli('list', store, '--json')).names[0].chains[0].backups[0].finished).status).toBe(0);
        expect(snapshotTree(target)).toEqual(level0);
        rmSync(target, { recursive: true });
      });
    }

    it('met the full disk at the data pack and at the manifest', () => {
      process.stdout.write(`${kind}: the full disk stopped ${[...failedAt].sort().join(', ')}\n`);
      expect([...failedAt].sort()).toEqual(expect.arrayContaining(['data pack', 'manifest']));
    });

    it('a restore that fills TARGET leaves every file old or new, never partial, and works once space is freed', () => {
      rmSync(store, { recursive: true, force: true });
      cpSync(pristine, store, { recursive: true });
      expect(cli('backup', src, store, '--name', 'n').status).toBe(0);
      const target = disk.path('target');
      const versions = new Map<string, Set<string | undefined>>();
      for (const snapshot of [level0, level1]) {
        for (const [path, state] of Object.entries(snapshot)) {
          if (!versions.has(path)) versions.set(path, new Set([undefined])); // or not restored yet
          versions.get(path)!.add(state.sha256);
        }
      }
      // Level 1 rewrites or adds about 4.2 MiB over a restore of level 0: each of these is too little.
      let failures = 0;
      for (const free of [0, 64 << 10, 1 << 20, 2 << 20, 3 << 20]) {
        rmSync(target, { recursive: true, force: true });
        // A good restore of level 0 first: the full restore of level 1 goes over it.
        expect(cli('restore', store, target, '--level', '0').status).toBe(0);
        disk.fill(free);
        const trial = cli('restore', store, target, '--overwrite', '--json');
        disk.unfill();
        const where = `restore with ${free} bytes free`;
        const outcome = json(trial);
        if (trial.status !== 0) {
          failures++;
          expect({ where, status: trial.status, error: outcome.error }).toMatchObject({ where, status: 100, error: { code: 'RS_IO_ERROR', systemCode: 'ENOSPC' } });
        }
        const now = snapshotTree(target);
        for (const [path, state] of Object.entries(now)) {
          if (state.type !== 'file') continue;
          expect({ where, path, known: versions.get(path)?.has(state.sha256) ?? false }).toEqual({ where, path, known: true });
        }
        expect({ where, leftovers: allPaths(target).filter((p) => p.endsWith('.tmp') || p.includes('.librsync-restore-')) }).toEqual({ where, leftovers: [] });
        expect(cli('restore', store, target, '--overwrite').status).toBe(0);
        expect(snapshotTree(target)).toEqual(level1);
      }
      expect(failures).toBeGreaterThanOrEqual(4);
      rmSync(target, { recursive: true, force: true });
    });
  });
}
