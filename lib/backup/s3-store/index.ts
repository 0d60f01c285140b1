// The S3 store: `s3://BUCKET/PREFIX` for every backup command and function.
export { S3Store, S3StoreConstructorOptions } from './s3-store';
export { S3StoreOptions, DEFAULT_S3_CONCURRENCY, DEFAULT_PART_SIZE } from './s3-config';
export { isS3Url, parseS3Url, S3Location } from './s3-url';
