// The engine functions take a store object, a directory path, or an
// s3://BUCKET/PREFIX URL (an S3Store with the AWS tools' settings from the
// environment; pass an S3Store for other options). A store that asks for
// it (readBlockBytes) is wrapped in a BlockCacheStore for the run; then in
// an EncryptedStore given a password, else in a check that it is not an
// encrypted store (which needs one).
import { LibrsyncError, paramError } from '../errors';
import { LocalDirectoryStore } from './local-store';
import { isS3Url } from './s3-store/s3-url';
import { s3StoreClass } from './s3-store/lazy-s3-store';
import { StoreArgument, BackupStore } from './store';
import { BlockCacheStore } from './block-cache-store';
import { StoreAccessOptions } from './engine-options';
import { EncryptedStore } from './encrypted-store/encrypted-store';
import { PASSWORD_HINT, PlainStoreCheck } from './encrypted-store/plain-store-check';

export function openStoreArgument(argument: StoreArgument, access: StoreAccessOptions = {}): BackupStore {
  const store: BackupStore = typeof argument !== 'string' ? argument : isS3Url(argument) ? new (s3StoreClass())(argument) : new LocalDirectoryStore(argument);
  if (store instanceof EncryptedStore || store instanceof PlainStoreCheck) {
    if (access.password !== undefined || access.encrypt) throw paramError('the store given is already an EncryptedStore (or checked plain): give the passphrase to it, not also as an option');
    return store;
  }
  if (access.encrypt && access.password === undefined) throw new LibrsyncError('STORE_PASSWORD_REQUIRED', `a new encrypted store needs a passphrase: ${PASSWORD_HINT}`);
  // A store whose requests are costly gets its packs read in blocks, through a cache of this run's.
  const cached = store.readBlockBytes !== undefined && !(store instanceof BlockCacheStore) ? new BlockCacheStore(store, store.readBlockBytes) : store;
  return access.password !== undefined ? new EncryptedStore(cached, { password: access.password, encrypt: access.encrypt }) : new PlainStoreCheck(cached);
}
