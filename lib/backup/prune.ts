// prune(): removes what a retention policy does not keep (retention.ts):
// whole chains, and the newest levels of a chain that no kept backup
// builds on, so no kept backup ever loses a base. The newest backups go
// first (manifest, then the rest of its directory), so an interrupted prune
// leaves a shorter chain that is still whole. It holds the store to itself
// (exclusive lock: no backup, restore or verify meanwhile).
import { LibrsyncError } from '../errors';
import { ChainInfo, listNames, readChains, readNamedChains } from './catalog';
import { Decision, RetentionPolicy, decide, isByBackup } from './retention';
import { openStoreArgument } from './open-store';
import { StoreAccessOptions } from './engine-options';
import { StoreArgument } from './store';
import { backupPrefix, chainPrefix, checkName, manifestKey } from './store-keys';
import { parseTime } from './time-spec';

/** A retention policy (see RetentionPolicy), whose times may also be given as text: a date, or an age such as '30d'. */
export interface PruneOptions extends Omit<RetentionPolicy, 'keepWithin' | 'olderThan'>, StoreAccessOptions {
  name?: string;
  keepWithin?: Date | string;
  olderThan?: Date | string;
  dryRun?: boolean;
}

export interface PrunedChain {
  name: string;
  chain: string;
  backups: string[];
  bytes: number;
  newest?: string;
}

export interface PruneDecision {
  name: string;
  chain: string;
  id: string;
  level: number;
  started: string;
  finished: string;
  keep: boolean;
  /** Why it is kept; empty when it is removed. */
  reasons: string[];
}

export interface PruneResult {
  dryRun: boolean;
  /** Chains that lose backups: the whole chain, or its newest levels. */
  removed: (PrunedChain & { whole: boolean })[];
  /** Chains that keep all their backups. */
  kept: PrunedChain[];
  /** Every committed backup, newest first per name, with what happens to it and why. */
  decisions: PruneDecision[];
  bytesFreed: number;
}

const COUNTS = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepChains'] as const;

function policyOf(options: PruneOptions): RetentionPolicy {
  const time = (v: Date | string | undefined): Date | undefined => (typeof v === 'string' ? parseTime(v) : v);
  const policy: RetentionPolicy = { keepWithin: time(options.keepWithin), olderThan: time(options.olderThan) };
  for (const key of COUNTS) {
    const n = options[key];
    if (n === undefined) continue;
    if (!Number.isSafeInteger(n) || n < 1) throw new LibrsyncError('RS_PARAM_ERROR', `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be at least 1`);
    policy[key] = n;
  }
  const byChain = [policy.keepChains, policy.olderThan].filter((v) => v !== undefined).length;
  if (isByBackup(policy) ? byChain > 0 : byChain !== 1) {
    throw new LibrsyncError(
      'RS_PARAM_ERROR',
      'prune needs a policy: --keep-last/--keep-hourly/--keep-daily/--keep-weekly/--keep-monthly/--keep-yearly/--keep-within (any of them), or exactly one of --keep-chains N and --older-than TIME',
    );
  }
  return policy;
}

function bytesOf(backups: ChainInfo['backups']): number {
  return backups.reduce((sum, b) => sum + b.manifestBytes + Object.values(b.packs).reduce((x, y) => x + y, 0), 0);
}

function describeChain(c: ChainInfo, backups: ChainInfo['backups']): PrunedChain {
  return { name: c.name, chain: c.chain, backups: backups.map((b) => b.id), bytes: bytesOf(backups), newest: c.backups[c.backups.length - 1]?.finished.toISOString() };
}

export async function prune(storeArgument: StoreArgument, options: PruneOptions): Promise<PruneResult> {
  const store = openStoreArgument(storeArgument, options);
  const policy = policyOf(options);
  await store.open({ create: false });
  // Removing backups needs the store to itself: no backup, and no restore or verify reading it.
  const lock = await store.lock(options.dryRun ? 'reader' : 'exclusive');
  const result: PruneResult = { dryRun: options.dryRun === true, removed: [], kept: [], decisions: [], bytesFreed: 0 };
  try {
    const names = options.name !== undefined ? [checkName(options.name)] : await listNames(store);
    for (const name of names) {
      const chains = (options.name !== undefined ? await readNamedChains(store, name) : await readChains(store, name)).filter((c) => c.backups.length > 0);
      const decisions = decide(chains, policy);
      result.decisions.push(...decisions.map(describeDecision));
      for (const chain of chains) {
        const going = chain.backups.filter((b) => !decisions.find((d) => d.backup === b)!.keep);
        if (going.length === 0) {
          result.kept.push(describeChain(chain, chain.backups));
          continue;
        }
        const whole = going.length === chain.backups.length;
        result.removed.push({ ...describeChain(chain, going), whole });
        if (result.dryRun) continue;
        // Newest first: an interrupted prune leaves a shorter chain that is still whole.
        for (const b of [...going].reverse()) {
          lock.lost?.throwIfAborted(); // another prune may be at work now: stop between backups
          await store.remove(manifestKey(name, chain.chain, b.id));
          await store.remove(backupPrefix(name, chain.chain, b.id));
        }
        if (whole) await store.remove(chainPrefix(name, chain.chain));
      }
    }
  } finally {
    await lock.release();
  }
  result.bytesFreed = result.removed.reduce((sum, r) => sum + r.bytes, 0);
  return result;
}

function describeDecision(d: Decision): PruneDecision {
  return {
    name: d.chain.name,
    chain: d.chain.chain,
    id: d.backup.id,
    level: d.backup.level,
    started: d.backup.started.toISOString(),
    finished: d.backup.finished.toISOString(),
    keep: d.keep,
    reasons: d.reasons,
  };
}
