// The stores the engine suite (test/backup-stores.test.ts) runs against.
// Adding a store is one entry in STORES: a name and create(), which makes
// a fresh, empty store each time it is called (the suite calls it once per
// scenario) and says how to remove it.
import { LocalDirectoryStore } from '../../lib/backup';
import { BackupStore } from '../../lib/backup/store';
import { scratchDir } from './files';
import { SlowStore } from './slow-store';

export interface StoreUnderTest {
  /** What the engine functions are given: a store object, or a directory path. */
  store: BackupStore | string;
  /**
   * How the command line names this store (its arguments after SOURCE or
   * before TARGET, and any environment it needs), when the CLI can reach
   * it: the suite then also SIGKILLs a real backup process. Absent for a
   * store that exists only inside the test process.
   */
  cli?: { args: string[]; env?: NodeJS.ProcessEnv };
  /** Removes the store and whatever serves it. */
  cleanup(): Promise<void>;
}

export interface StoreFactory {
  name: string;
  /** create() gives `cli`: the command line reaches this store. */
  cli?: boolean;
  create(): Promise<StoreUnderTest>;
}

export const STORES: StoreFactory[] = [
  {
    name: 'local directory',
    cli: true,
    async create() {
      const scratch = scratchDir('librsync-store-local-');
      const root = scratch.path('store');
      return { store: root, cli: { args: [root] }, cleanup: async () => scratch.remove() };
    },
  },
  {
    // Object-store-like: many packs, three finishing at once, each late.
    name: 'slow uploads (64 KiB packs, 3 in flight)',
    async create() {
      const scratch = scratchDir('librsync-store-slow-');
      const store = new SlowStore(scratch.path('store'), { packTargetBytes: 64 << 10, uploadsInFlight: 3, finishDelayMs: 15 });
      return { store, cleanup: async () => scratch.remove() };
    },
  },
];

/** The store object behind what the engine was given (a path means the local directory store). */
export function storeObject(store: BackupStore | string): BackupStore {
  return typeof store === 'string' ? new LocalDirectoryStore(store) : store;
}
