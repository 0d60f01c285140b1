'use strict';
// What a bucket (or a prefix of it) holds, as ListObjectsV2 lists it: one
// entry per object (a multipart upload counts once, at its full size).
const { ListObjectsV2Command, S3Client } = require('@aws-sdk/client-s3');

/** An S3 client for a Swift ready line (path-style; checksums only where required, as Swift's s3api needs). */
function s3ClientFor(swift) {
  return new S3Client({
    endpoint: swift.endpoint,
    region: swift.region,
    credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Map of key -> { size, etag } under bucket/prefix; empty when the bucket does not exist yet. */
async function listObjects(client, bucket, prefix = '') {
  const objects = new Map();
  let token;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (error) {
      if (error.name === 'NoSuchBucket') return objects;
      throw error;
    }
    for (const o of page.Contents ?? []) objects.set(o.Key, { size: o.Size, etag: o.ETag });
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/** Objects written between two listings (new keys, or keys whose size or ETag changed), and the net change in bytes. */
function usageDelta(before, after) {
  let written = 0;
  let writtenBytes = 0;
  // Bytes written by kind of object (see kindOf).
  const kinds = new Map();
  for (const [key, o] of after) {
    const old = before.get(key);
    if (old === undefined || old.size !== o.size || old.etag !== o.etag) {
      written += 1;
      writtenBytes += o.size;
      kinds.set(kindOf(key), (kinds.get(kindOf(key)) ?? 0) + o.size);
    }
  }
  return { objects: written, writtenBytes, kinds, netBytes: totalBytes(after) - totalBytes(before), objectsAfter: after.size, bytesAfter: totalBytes(after) };
}

/** A key's last part with its numbers and ids as * (d000001.pack -> d*.pack); restic's bare ids keep their folder (data/*). */
function kindOf(key) {
  const parts = key.split('/');
  const last = parts[parts.length - 1].replace(/[0-9a-f]{16,}|\d+/g, '*');
  return last === '*' ? `${parts[0]}/*` : last;
}

function totalBytes(objects) {
  let sum = 0;
  for (const o of objects.values()) sum += o.size;
  return sum;
}

module.exports = { s3ClientFor, listObjects, usageDelta, totalBytes, kindOf };
