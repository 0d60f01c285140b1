// Swift's s3api (and other S3 servers following the old rule) refuses a
// DeleteObjects without Content-MD5 (400 InvalidRequest); SDKs since 3.729
// send a CRC32 header instead, whatever requestChecksumCalculation says.
// This puts the MD5 back, as the SDK's own MD5_FALLBACK.md does, in the
// build step's last slot rather than "after flexibleChecksumsMiddleware",
// which only checksummed commands have (every other command would fail to
// resolve its middleware stack). Amazon S3 accepts either header.
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';

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
