// An S3Client configured the way OpenStack Swift's s3api (2.30) needs.
import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { contentMd5ForDeleteObjects } from '../../../lib/backup/s3-store/content-md5';

export { contentMd5ForDeleteObjects };

export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Path-style requests, and checksums only where the API requires them: with
 * the SDK's default (WHEN_SUPPORTED) a PutObject of a stream is sent as
 * `aws-chunked`, which this Swift answers 501 NotImplemented. DeleteObjects
 * gets a Content-MD5 header (see contentMd5ForDeleteObjects).
 */
export function s3ClientFor(target: S3Endpoint, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const client = new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
  contentMd5ForDeleteObjects(client);
  return client;
}
