// The reader of a backup's manifest with its inherited entries resolved:
// what every command that walks a backup's entries opens (never a bare
// ManifestReader, which could not resolve them). Reading level N may read
// the manifests of levels N-1 .. 0 alongside, each one line at a time:
// memory grows with the chain's length, not with the tree.
import { ManifestReader } from './manifest-reader';
import { BackupStore } from './store';
import { manifestKey } from './store-keys';

export function backupManifest(store: BackupStore, name: string, chain: string, id: string): ManifestReader {
  const key = manifestKey(name, chain, id);
  return new ManifestReader(store.readObject(key), key, (parentId) => backupManifest(store, name, chain, parentId));
}
