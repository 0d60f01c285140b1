// What the commands that read a store share: the store opened under a
// reader lock (a prune waits for them; see reader-locks.ts), and the chains
// of the name asked for (or of the only name), a name the store does not
// hold being BACKUP_NOT_FOUND that names the ones it does.
import { ChainInfo, readChains, readNamedChains } from './catalog';
import { EngineOptions } from './engine-options';
import { openStoreArgument } from './open-store';
import { resolveName } from './selection';
import { BackupStore, StoreArgument } from './store';

export async function underReaderLock<T>(storeArgument: StoreArgument, options: EngineOptions, work: (store: BackupStore) => Promise<T>): Promise<T> {
  const store = openStoreArgument(storeArgument, options);
  await store.open({ create: false });
  const lock = await store.lock('reader');
  try {
    if (lock.warning) options.onWarning?.({ path: '', message: lock.warning });
    return await work(store);
  } finally {
    await lock.release();
  }
}

export async function chainsOfName(store: BackupStore, given: string | undefined): Promise<{ name: string; chains: ChainInfo[] }> {
  const name = await resolveName(store, given);
  return { name, chains: given !== undefined ? await readNamedChains(store, name) : await readChains(store, name) };
}
