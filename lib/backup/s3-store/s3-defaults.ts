// Defaults the CLI shows in its help: here, apart from s3-config.ts, so
// that the help and a local backup do not load the AWS SDK.
export const DEFAULT_S3_CONCURRENCY = 4;
