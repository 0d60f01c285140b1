// prune(): removes whole chains, by count (--keep-chains) or age
// (--older-than), so no kept backup ever loses a base. The newest chain of
// a name is never removed by age. A chain goes newest manifest first, so
// an interrupted prune leaves a shorter chain that is still whole.
import { LibrsyncError } from '../errors';
import { ChainInfo, listNames, readChains, readNamedChains } from './catalog';
import { openStoreArgument } from './open-store';
import { StoreArgument } from './store';
import { chainPrefix, checkName, manifestKey } from './store-keys';
import { parseTime } from './time-spec';

export interface PruneOptions {
  name?: string;
  /** Keep this many newest chains of each name (at least 1). */
  keepChains?: number;
  /** Remove chains whose newest backup finished before this time. */
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

export interface PruneResult {
  dryRun: boolean;
  removed: PrunedChain[];
  kept: PrunedChain[];
  bytesFreed: number;
}

function describe(c: ChainInfo): PrunedChain {
  const bytes = c.backups.reduce((sum, b) => sum + b.manifestBytes + Object.values(b.packs).reduce((x, y) => x + y, 0), 0);
  return { name: c.name, chain: c.chain, backups: c.backups.map((b) => b.id), bytes, newest: c.backups[c.backups.length - 1]?.finished.toISOString() };
}

export async function prune(storeArgument: StoreArgument, options: PruneOptions): Promise<PruneResult> {
  const store = openStoreArgument(storeArgument);
  const keep = options.keepChains;
  const olderThan = typeof options.olderThan === 'string' ? parseTime(options.olderThan) : options.olderThan;
  if ((keep === undefined) === (olderThan === undefined)) throw new LibrsyncError('RS_PARAM_ERROR', 'prune needs exactly one of --keep-chains N and --older-than TIME');
  if (keep !== undefined && (!Number.isSafeInteger(keep) || keep < 1)) throw new LibrsyncError('RS_PARAM_ERROR', '--keep-chains must be at least 1');
  await store.open({ create: false });
  // Removing chains needs the store to itself: no backup, and no restore or verify reading it.
  const lock = await store.lock(options.dryRun ? 'reader' : 'exclusive');
  const result: PruneResult = { dryRun: options.dryRun === true, removed: [], kept: [], bytesFreed: 0 };
  try {
    const names = options.name !== undefined ? [checkName(options.name)] : await listNames(store);
    for (const name of names) {
      const chains = (options.name !== undefined ? await readNamedChains(store, name) : await readChains(store, name)).filter((c) => c.backups.length > 0);
      chains.forEach((chain, i) => {
        const newest = i === chains.length - 1;
        const remove = keep !== undefined ? i < chains.length - keep : !newest && chain.backups[chain.backups.length - 1].finished < olderThan!;
        (remove ? result.removed : result.kept).push(describe(chain));
      });
      if (result.dryRun) continue;
      for (const gone of result.removed.filter((r) => r.name === name)) {
        for (const id of [...gone.backups].reverse()) await store.remove(manifestKey(name, gone.chain, id));
        await store.remove(chainPrefix(name, gone.chain));
      }
    }
  } finally {
    await lock.release();
  }
  result.bytesFreed = result.removed.reduce((sum, r) => sum + r.bytes, 0);
  return result;
}
