// The S3 store, and the AWS SDK behind it, load only once a store is in
// S3: loading the SDK costs about 0.1 s of CPU, more than a backup of a
// local tree where nothing changed takes to run.
import type { S3Store } from './s3-store';

export function s3StoreClass(): typeof S3Store {
  return (require('./s3-store') as typeof import('./s3-store')).S3Store;
}
