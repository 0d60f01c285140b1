// Retention (prune --keep-*), with restic's forget semantics per backup,
// then made whole: every base a kept backup needs stays, nothing is removed
// from the middle of a chain, and what goes is whole chains and the newest
// levels nothing kept builds on. Checked on synthetic chains (exact
// decisions and reasons) and on a real store (what stays restores exactly).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, list, prune, restore, verify } from '../lib/backup';
import { BackupInfo, ChainInfo } from '../lib/backup/catalog';
import { decide } from '../lib/backup/retention';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { snapshotTree, TreeSnapshot } from './support/tree-snapshot';

/** A chain of backups (levels in order, each with its time), as the catalog would read it. */
function chain(number: number, backups: { level: number; at: string; parent?: number }[]): ChainInfo {
  const c: ChainInfo = { name: 'n', chain: `chain-${String(number).padStart(6, '0')}`, number, backups: [], uncommitted: [], damaged: [] };
  backups.forEach((b, sequence) => {
    const id = `${String(sequence).padStart(6, '0')}-L${b.level}`;
    // Each level builds on the newest level below it (or the given sequence: a differential).
    const parentSeq = b.level === 0 ? undefined : b.parent ?? [...backups.slice(0, sequence)].map((x, i) => ({ ...x, i })).reverse().find((x) => x.level === b.level - 1)!.i;
    const parent = parentSeq === undefined ? null : c.backups[parentSeq].id;
    const when = new Date(b.at);
    c.backups.push({ name: 'n', chain: c.chain, id, sequence, level: b.level, parent, started: when, finished: when, blockSize: 65536, header: {} as never, counts: {} as never, packs: {}, manifestBytes: 0 } as BackupInfo);
  });
  return c;
}

function kept(chains: ChainInfo[], policy: Parameters<typeof decide>[1]): string[] {
  return decide(chains, policy)
    .filter((d) => d.keep)
    .map((d) => `${d.chain.chain.slice(-1)}/${d.backup.id}`)
    .sort();
}

describe('retention decisions', () => {
  // Local time throughout (as restic); these dates are far from any DST change.
  const days = [
    chain(1, [
      { level: 0, at: '2026-10-01T10:00' },
      { level: 1, at: '2026-10-02T10:00' },
      { level: 2, at: '2026-10-03T10:00' },
      { level: 3, at: '2026-10-03T18:00' },
    ]),
    chain(2, [
      { level: 0, at: '2026-11-01T10:00' },
      { level: 1, at: '2026-11-02T09:00' },
      { level: 1, at: '2026-11-02T21:00', parent: 0 }, // a differential: builds on level 0 only
      { level: 1, at: '2026-11-03T09:00', parent: 0 },
    ]),
  ];

  it('--keep-last N keeps the N newest, and their bases', () => {
    expect(kept(days, { keepLast: 1 })).toEqual(['2/000000-L0', '2/000001-L1', '2/000002-L1', '2/000003-L1']);
    const reasons = decide(days, { keepLast: 1 });
    expect(reasons.find((d) => d.backup.id === '000003-L1')!.reasons).toEqual(['last 1']);
    expect(reasons.find((d) => d.chain.number === 2 && d.backup.id === '000000-L0')!.reasons).toEqual(['base of chain-000002/000003-L1']);
    // Not needed, but in the middle of the chain: it stays until its chain goes.
    expect(reasons.find((d) => d.backup.id === '000001-L1' && d.chain.number === 2)!.reasons).toEqual(['before a kept level in its chain']);
  });

  it('--keep-daily N keeps the newest of each of the last N days that have backups', () => {
    // 11-03 09:00 and 11-02 21:00; 11-02 09:00 is not kept by the policy, but stays: it is before a kept level in its chain.
    const d = decide(days, { keepDaily: 2 });
    expect(d.filter((x) => x.reasons.some((r) => r.startsWith('daily'))).map((x) => x.reasons[0])).toEqual(['daily 2026-11-03', 'daily 2026-11-02']);
    expect(kept(days, { keepDaily: 2 })).toEqual(['2/000000-L0', '2/000001-L1', '2/000002-L1', '2/000003-L1']);
  });

  it('removes the newest levels of an old chain that nothing kept builds on, never the middle', () => {
    // October's newest is chain 1's level 0; its levels 1-3 (November) are not kept and nothing kept builds on them.
    const autumn = [
      chain(1, [
        { level: 0, at: '2026-10-31T10:00' },
        { level: 1, at: '2026-11-01T10:00' },
        { level: 2, at: '2026-11-01T12:00' },
      ]),
      chain(2, [{ level: 0, at: '2026-11-05T10:00' }]),
    ];
    expect(kept(autumn, { keepMonthly: 2 })).toEqual(['1/000000-L0', '2/000000-L0']);
    // Keeping chain 1's level 2 keeps its bases; keeping only a differential keeps the levels before it too.
    expect(kept(autumn, { keepDaily: 2 })).toEqual(['1/000000-L0', '1/000001-L1', '1/000002-L2', '2/000000-L0']);
    const differential = [chain(1, [{ level: 0, at: '2026-10-01T10:00' }, { level: 1, at: '2026-10-02T10:00' }, { level: 1, at: '2026-10-03T10:00', parent: 0 }, { level: 1, at: '2026-10-04T10:00', parent: 0 }])];
    const d = decide(differential, { keepWithin: new Date('2026-10-03T00:00') });
    expect(d.map((x) => [x.backup.id, x.keep, x.reasons.join('; ')])).toEqual([
      ['000003-L1', true, `within ${new Date('2026-10-03T00:00').toISOString()}`],
      ['000002-L1', true, `within ${new Date('2026-10-03T00:00').toISOString()}`],
      ['000001-L1', true, 'before a kept level in its chain'],
      ['000000-L0', true, 'base of chain-000001/000003-L1; base of chain-000001/000002-L1'],
    ]);
  });

  it('weekly, monthly and yearly periods follow ISO weeks and the calendar', () => {
    const spread = [
      chain(1, [{ level: 0, at: '2025-12-29T12:00' }]), // ISO week 2026-W01
      chain(2, [{ level: 0, at: '2026-01-04T12:00' }]), // also 2026-W01 (a Sunday)
      chain(3, [{ level: 0, at: '2026-01-05T12:00' }]), // 2026-W02
      chain(4, [{ level: 0, at: '2026-02-01T12:00' }]),
    ];
    expect(decide(spread, { keepWeekly: 3 }).filter((d) => d.keep).map((d) => d.reasons[0])).toEqual(['weekly 2026-W05', 'weekly 2026-W02', 'weekly 2026-W01']);
    expect(kept(spread, { keepWeekly: 3 })).toEqual(['2/000000-L0', '3/000000-L0', '4/000000-L0']);
    expect(kept(spread, { keepMonthly: 2 })).toEqual(['3/000000-L0', '4/000000-L0']); // January's newest is 01-05
    expect(kept(spread, { keepYearly: 2 })).toEqual(['1/000000-L0', '4/000000-L0']);
    expect(kept(spread, { keepHourly: 1, keepLast: 1 })).toEqual(['4/000000-L0']);
  });
});

describeNative('prune with a retention policy', () => {
  const scratch = scratchDir('librsync-retention-');
  afterAll(() => scratch.remove());

  /** Backups of `src` taken at the given times (maxLevel 2: a new chain every three), with the source as each saw it. */
  async function takeBackups(src: string, store: string, times: string[]): Promise<Map<string, TreeSnapshot>> {
    mkdirSync(src, { recursive: true });
    const states = new Map<string, TreeSnapshot>();
    for (const [i, when] of times.entries()) {
      writeFileSync(join(src, 'f.txt'), `version ${i}\n`.repeat(100));
      const r = await backup(src, store, { name: 'p', maxLevel: 2, now: () => new Date(when) });
      states.set(`${r.chain}/${r.id}`, snapshotTree(src));
    }
    return states;
  }

  async function everyBackupRestores(store: string, states: Map<string, TreeSnapshot>): Promise<string[]> {
    expect((await verify(store, {})).ok).toBe(true);
    const left = (await list(store, {})).names[0].chains.flatMap((c) => c.backups.map((b) => ({ key: `${c.chain}/${b.id}`, finished: b.finished })));
    for (const b of left) {
      const target = scratch.path(`out-${Math.random().toString(36).slice(2)}`);
      const r = await restore(store, target, { at: b.finished });
      expect(`${r.chain}/${r.id}`).toBe(b.key);
      expect(snapshotTree(target)).toEqual(states.get(b.key));
    }
    return left.map((b) => b.key);
  }

  it('removes whole chains the policy does not keep; a dry run says what and why, and removes nothing', async () => {
    const store = scratch.path('store');
    const states = await takeBackups(scratch.path('src'), store, ['2026-11-20T10:00', '2026-11-21T10:00', '2026-11-22T10:00', '2026-11-23T10:00', '2026-11-23T15:00', '2026-11-24T10:00']);
    // Chains: 1 = 11-20 L0, 11-21 L1, 11-22 L2; 2 = 11-23 L0, 11-23 L1, 11-24 L2.
    const dry = await prune(store, { keepDaily: 2, dryRun: true });
    expect(dry.decisions.map((d) => [`${d.chain}/${d.id}`, d.keep, d.reasons.join('; ')])).toEqual([
      ['chain-000002/000002-L2', true, 'daily 2026-11-24'],
      ['chain-000002/000001-L1', true, 'daily 2026-11-23; base of chain-000002/000002-L2'],
      ['chain-000002/000000-L0', true, 'base of chain-000002/000002-L2; base of chain-000002/000001-L1'],
      ['chain-000001/000002-L2', false, ''],
      ['chain-000001/000001-L1', false, ''],
      ['chain-000001/000000-L0', false, ''],
    ]);
    expect((await list(store, {})).names[0].chains.length).toBe(2);
    const real = await prune(store, { keepDaily: 2 });
    expect(real.removed.map((r) => [r.chain, r.whole, r.backups])).toEqual([['chain-000001', true, ['000000-L0', '000001-L1', '000002-L2']]]);
    expect(await everyBackupRestores(store, states)).toEqual(['chain-000002/000000-L0', 'chain-000002/000001-L1', 'chain-000002/000002-L2']);
  });

  it('removes the newest levels of an old chain when only its base is kept, and the rest still restores', async () => {
    const store = scratch.path('store-suffix');
    // Chain 1: October's last backup (level 0), then two levels in November; chain 2: November.
    const states = await takeBackups(scratch.path('src-suffix'), store, ['2026-10-31T10:00', '2026-11-01T10:00', '2026-11-02T10:00', '2026-11-03T10:00', '2026-11-04T10:00']);
    const result = await prune(store, { keepMonthly: 2 });
    expect(result.decisions.filter((d) => d.keep).map((d) => `${d.chain}/${d.id}: ${d.reasons.join('; ')}`)).toEqual([
      'chain-000002/000001-L1: monthly 2026-11',
      'chain-000002/000000-L0: base of chain-000002/000001-L1',
      'chain-000001/000000-L0: monthly 2026-10',
    ]);
    expect(result.removed.map((r) => [r.chain, r.whole, r.backups])).toEqual([['chain-000001', false, ['000001-L1', '000002-L2']]]);
    expect(await everyBackupRestores(store, states)).toEqual(['chain-000001/000000-L0', 'chain-000002/000000-L0', 'chain-000002/000001-L1']);
    // The store goes on: the next backup is the next level of the newest chain.
    writeFileSync(join(scratch.path('src-suffix'), 'f.txt'), 'after the prune');
    expect((await backup(scratch.path('src-suffix'), store, { name: 'p', maxLevel: 2 })).id).toBe('000002-L2');
  });

  it('refuses a prune without a policy, a mix of kinds, or a count below 1 (RS_PARAM_ERROR)', async () => {
    const store = scratch.path('store');
    await expect(prune(store, {})).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    await expect(prune(store, { keepLast: 1, keepChains: 1 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    await expect(prune(store, { keepDaily: 0 })).rejects.toMatchObject({ code: 'RS_PARAM_ERROR', message: expect.stringContaining('--keep-daily') });
  });
});
