// The engine functions take a store object, a directory path, or an
// s3://BUCKET/PREFIX URL (an S3Store with the AWS tools' settings from the
// environment; pass an S3Store for other options). A store that asks for
// it (readBlockBytes) is wrapped in a BlockCacheStore for the run.
import { LocalDirectoryStore } from './local-store';
import { isS3Url, S3Store } from './s3-store';
import { StoreArgument, BackupStore } from './store';
import { BlockCacheStore } from './block-cache-store';

export function openStoreArgument(argument: StoreArgument): BackupStore {
  const store: BackupStore = typeof argument !== 'string' ? argument : isS3Url(argument) ? new S3Store(argument) : new LocalDirectoryStore(argument);
  // A store whose requests are costly gets its packs read in blocks, through a cache of this run's.
  return store.readBlockBytes !== undefined && !(store instanceof BlockCacheStore) ? new BlockCacheStore(store, store.readBlockBytes) : store;
}
