// The engine functions take a store object or a directory path.
import { LocalDirectoryStore } from './local-store';
import { StoreArgument, BackupStore } from './store';

export function openStoreArgument(store: StoreArgument): BackupStore {
  return typeof store === 'string' ? new LocalDirectoryStore(store) : store;
}
