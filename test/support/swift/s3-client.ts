// An S3Client configured the way OpenStack Swift's s3api (2.30) needs.
import { createHash } from 'node:crypto';
import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

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

/**
 * Swift's s3api refuses DeleteObjects without Content-MD5 (400
 * InvalidRequest), and SDKs since 3.729 send a CRC32 instead, whatever
 * requestChecksumCalculation says. This puts the MD5 back, as the SDK's
 * own MD5_FALLBACK.md does, but in the build step's last slot rather than
 * "after flexibleChecksumsMiddleware", which only checksummed commands have
 * (every other command would fail to resolve its stack).
 */
export function contentMd5ForDeleteObjects(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const body = request.body;
      if (context.commandName !== 'DeleteObjectsCommand' || !request.headers || !(typeof body === 'string' || body instanceof Uint8Array)) {
        return next(args);
      }
      for (const name of Object.keys(request.headers)) {
        const lower = name.toLowerCase();
        if (lower.startsWith('x-amz-checksum-') || lower.startsWith('x-amz-sdk-checksum-')) delete request.headers[name];
      }
      request.headers['content-md5'] = createHash('md5').update(body).digest('base64');
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'contentMd5ForDeleteObjects' },
  );
}
