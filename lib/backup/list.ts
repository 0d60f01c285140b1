// list(): the chains and backups of each name, from manifest headers and
// trailers only; listFiles(): one backup's entries, streamed.
import { BackupCounts, ManifestEntry } from './manifest';
import { backupManifest } from './backup-entries';
import { listNames, readChains, readNamedChains } from './catalog';
import { BackupChoice, resolveName, selectBackup } from './selection';
import { openStoreArgument } from './open-store';
import { StoreAccessOptions } from './engine-options';
import { StoreArgument } from './store';
import { checkName, manifestKey } from './store-keys';

export interface ListOptions extends StoreAccessOptions {
  name?: string;
}

export interface ListedBackup {
  id: string;
  level: number;
  sequence: number;
  parent: string | null;
  started: string;
  finished: string;
  blockSize: number;
  counts: BackupCounts;
  /** Pack bytes this backup added to the store (its manifest's record of its packs). */
  packBytes: number;
  /** The size of its manifest. */
  manifestBytes: number;
  /** Pack and manifest bytes this backup added to the store. */
  storedBytes: number;
}

export interface ListedChain {
  chain: string;
  started: string;
  backups: ListedBackup[];
  /** Uncommitted leftovers of an interrupted backup (removed by the next backup). */
  uncommitted: string[];
  problem?: string;
}

export interface ListResult {
  names: { name: string; source?: string; chains: ListedChain[] }[];
}

export async function list(storeArgument: StoreArgument, options: ListOptions = {}): Promise<ListResult> {
  const store = openStoreArgument(storeArgument, options);
  await store.open({ create: false });
  const names = options.name !== undefined ? [checkName(options.name)] : await listNames(store);
  const result: ListResult = { names: [] };
  for (const name of names) {
    const chains = options.name !== undefined ? await readNamedChains(store, name) : await readChains(store, name);
    const source = chains.flatMap((c) => c.backups).pop()?.header.source.path;
    result.names.push({
      name,
      source,
      chains: chains.map((c) => ({
        chain: c.chain,
        started: c.backups[0]?.started.toISOString() ?? '',
        backups: c.backups.map((b) => {
          const packBytes = Object.values(b.packs).reduce((x, y) => x + y, 0);
          return {
            id: b.id,
            level: b.level,
            sequence: b.sequence,
            parent: b.parent,
            started: b.started.toISOString(),
            finished: b.finished.toISOString(),
            blockSize: b.blockSize,
            counts: b.counts,
            packBytes,
            manifestBytes: b.manifestBytes,
            storedBytes: packBytes + b.manifestBytes,
          };
        }),
        uncommitted: c.uncommitted,
        ...(c.problem ? { problem: c.problem } : {}),
      })),
    });
  }
  return result;
}

export interface ListFilesOptions extends BackupChoice, StoreAccessOptions {
  name?: string;
}

/** The entries of one backup (the newest, or by level / time), in path order; deleted paths included as type 'deleted'. */
export async function* listFiles(storeArgument: StoreArgument, options: ListFilesOptions = {}): AsyncGenerator<ManifestEntry> {
  const store = openStoreArgument(storeArgument, options);
  await store.open({ create: false });
  const name = await resolveName(store, options.name);
  const chains = options.name !== undefined ? await readNamedChains(store, name) : await readChains(store, name);
  const { chain, backup } = selectBackup(chains, name, options);
  yield* backupManifest(store, name, chain.chain, backup.id).entries();
}
