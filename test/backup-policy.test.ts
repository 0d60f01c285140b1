// Which level a backup becomes (--level, --max-level, --always-level,
// --restart-after, a block size change) and what prune removes: whole
// chains only, never the newest by age, nothing with --dry-run.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BackupOptions, BackupResult, backup, list, prune, restore } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { digestOf } from './support/tree-snapshot';
import { withTrailer } from './support/manifest-seal';
import { describeNative } from './support/requirements';
import { readManifest } from './support/manifest-text';

describeNative('level policy and prune', () => {
  const scratch = scratchDir('librsync-backup-policy-');
  afterAll(() => scratch.remove());
  let counter = 0;

  function fresh(): { src: string; store: string; change: () => void } {
    const dir = scratch.path(`case-${counter++}`);
    const src = join(dir, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'f.bin'), randomBytesSeeded(20_000, 1));
    let version = 0;
    return {
      src,
      store: join(dir, 'store'),
      change: () => writeFileSync(join(src, 'f.bin'), Buffer.concat([Buffer.from(`v${++version}`), readFileSync(join(src, 'f.bin'))])),
    };
  }

  async function run(n: number, c: ReturnType<typeof fresh>, options: BackupOptions): Promise<BackupResult[]> {
    const out: BackupResult[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) c.change();
      out.push(await backup(c.src, c.store, { name: 'p', blockSize: 1024, ...options }));
    }
    return out;
  }

  const shape = (rs: BackupResult[]): string[] => rs.map((r) => `${r.chain.slice(-1)}:${r.id}<${r.parent ?? '-'}`);

  it('--max-level N starts a new chain after level N', async () => {
    const rs = await run(5, fresh(), { maxLevel: 1 });
    expect(shape(rs)).toEqual(['1:000000-L0<-', '1:000001-L1<000000-L0', '2:000000-L0<-', '2:000001-L1<000000-L0', '3:000000-L0<-']);
    expect(rs[2].newChain).toMatch(/max-level/);
  });

  it('--always-level N makes every later backup a level N against the newest level N-1', async () => {
    const c = fresh();
    const rs = await run(5, c, { alwaysLevel: 2 });
    expect(shape(rs)).toEqual([
      '1:000000-L0<-',
      '1:000001-L1<000000-L0',
      '1:000002-L2<000001-L1',
      '1:000003-L2<000001-L1',
      '1:000004-L2<000001-L1',
    ]);
    // Each differential restores on its own, and the newest is the live file.
    const target = scratch.path('always');
    await restore(c.store, target, {});
    expect(digestOf(join(target, 'f.bin'))).toBe(digestOf(join(c.src, 'f.bin')));
    const listed = await list(c.store, {});
    expect(listed.names[0].chains[0].backups.map((b) => [b.id, b.level, b.parent])).toEqual(shape(rs).map((s) => {
      const [, id, parent] = /^\d:(.*)<(.*)$/.exec(s)!;
      return [id, Number(id.slice(-1)), parent === '-' ? null : parent];
    }));
  });

  it('--level 0 starts a chain and --level N builds on the newest N-1', async () => {
    const c = fresh();
    await run(3, c, {});
    c.change();
    const second1 = await backup(c.src, c.store, { name: 'p', level: 1 });
    expect([second1.id, second1.parent]).toEqual(['000003-L1', '000000-L0']);
    const restart = await backup(c.src, c.store, { name: 'p', level: 0 });
    expect([restart.chain, restart.id, restart.newChain]).toEqual(['chain-000002', '000000-L0', 'level 0 requested']);
    await expect(backup(c.src, c.store, { name: 'p', level: 5 })).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });

  it('--restart-after DAYS starts a new chain once the level 0 is that old', async () => {
    const c = fresh();
    const day = 86400e3;
    const t0 = Date.now();
    const first = await backup(c.src, c.store, { name: 'p', restartAfterDays: 7, now: () => new Date(t0) });
    const sixDays = await backup(c.src, c.store, { name: 'p', restartAfterDays: 7, now: () => new Date(t0 + 6 * day) });
    const eightDays = await backup(c.src, c.store, { name: 'p', restartAfterDays: 7, now: () => new Date(t0 + 8 * day) });
    expect([first.level, sixDays.level, eightDays.level]).toEqual([0, 1, 0]);
    expect(eightDays.newChain).toMatch(/older than 7 days/);
  });

  it('a different --block-size starts a new chain instead of mixing block sizes', async () => {
    const c = fresh();
    await backup(c.src, c.store, { name: 'p', blockSize: 1024 });
    const same = await backup(c.src, c.store, { name: 'p' });
    const other = await backup(c.src, c.store, { name: 'p', blockSize: 4096 });
    expect([same.level, same.blockSize]).toEqual([1, 1024]);
    expect([other.chain, other.level, other.blockSize]).toEqual(['chain-000002', 0, 4096]);
    expect(other.newChain).toBe("block size 4096 differs from the chain's 1024");
  });

  it('the newest backup is the last one committed, even when the clock was set back in between', async () => {
    const c = fresh();
    await run(2, c, {});
    c.change();
    await backup(c.src, c.store, { name: 'p', level: 0 }); // chain 2
    // Chain 2's level 0 was committed last, by a clock that had been set back a day.
    const manifest = join(c.store, 'backups', 'p', 'chain-000002', '000000-L0', 'manifest.jsonl');
    writeFileSync(
      manifest,
      withTrailer(readManifest(manifest), (trailer) => {
        trailer.finished = new Date(Date.parse(trailer.finished as string) - 86400e3).toISOString();
      }),
    );
    const restored = await restore(c.store, join(c.src, '..', 'out'), {});
    expect([restored.chain, restored.id]).toEqual(['chain-000002', '000000-L0']);
    expect(digestOf(join(c.src, '..', 'out', 'f.bin'))).toBe(digestOf(join(c.src, 'f.bin')));
  });

  it('rejects contradictory options', async () => {
    const c = fresh();
    await expect(backup(c.src, c.store, { maxLevel: 2, alwaysLevel: 1 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    await expect(backup(c.src, c.store, { blockSize: 0 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    await expect(backup(c.src, c.store, { name: '../x' })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
  });

  it('prune removes whole chains by count, keeps what later levels need, and can dry-run', async () => {
    const c = fresh();
    await run(6, c, { maxLevel: 1 }); // chains 1, 2 (two levels each), 3 (level 0 only)
    const chainDir = (n: number): string => join(c.store, 'backups', 'p', `chain-00000${n}`);
    const dry = await prune(c.store, { keepChains: 1, dryRun: true });
    expect(dry.removed.map((r) => r.chain)).toEqual(['chain-000001', 'chain-000002']);
    expect([1, 2, 3].map((n) => existsSync(chainDir(n)))).toEqual([true, true, true]);
    const real = await prune(c.store, { keepChains: 2 });
    expect(real.removed.map((r) => [r.chain, r.backups])).toEqual([['chain-000001', ['000000-L0', '000001-L1']]]);
    expect(real.bytesFreed).toBeGreaterThan(20_000);
    expect([1, 2, 3].map((n) => existsSync(chainDir(n)))).toEqual([false, true, true]);
    // Level 1 of the oldest kept chain still restores: its base stayed.
    const target = scratch.path('after-prune');
    await restore(c.store, target, { level: 1 });
    expect(existsSync(join(target, 'f.bin'))).toBe(true);
    await expect(prune(c.store, { keepChains: 0 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
  });

  it('prune --older-than never removes the newest chain', async () => {
    const c = fresh();
    await run(3, c, { maxLevel: 0 });
    const result = await prune(c.store, { olderThan: new Date(Date.now() + 60_000) });
    expect(result.removed.map((r) => r.chain)).toEqual(['chain-000001', 'chain-000002']);
    expect(result.kept.map((r) => r.chain)).toEqual(['chain-000003']);
    const none = await prune(c.store, { olderThan: '30d' });
    expect(none.removed).toEqual([]);
  });
});
