// The engine functions take a store object, a directory path, or an
// s3://BUCKET/PREFIX URL (an S3Store with the AWS tools' settings from the
// environment; pass an S3Store for other options).
import { LocalDirectoryStore } from './local-store';
import { isS3Url, S3Store } from './s3-store';
import { StoreArgument, BackupStore } from './store';

export function openStoreArgument(store: StoreArgument): BackupStore {
  if (typeof store !== 'string') return store;
  return isS3Url(store) ? new S3Store(store) : new LocalDirectoryStore(store);
}
