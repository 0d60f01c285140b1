// How an S3Store reaches its server: endpoint, region and credentials as
// the AWS tools find them, plus the retries, timeouts and concurrency that
// make it dependable. Credentials come from the SDK's default chain
// (environment, ~/.aws/credentials and config, AWS_PROFILE, SSO, IMDS...)
// unless given; they are never copied into anything this package prints.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { DEFAULT_S3_CONCURRENCY } from './s3-defaults';
import { paramError } from '../../errors';
import { contentMd5ForDeleteObjects } from './content-md5';

export interface S3StoreOptions {
  /** The S3 endpoint, e.g. http://127.0.0.1:8080; default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else Amazon S3. */
  endpoint?: string;
  /** Default: AWS_REGION / AWS_DEFAULT_REGION / the profile's; us-east-1 for a custom endpoint without one. */
  region?: string;
  /** Path-style URLs (endpoint/bucket/key); default: on for a custom endpoint, off for Amazon S3. */
  pathStyle?: boolean;
  /** Packs uploading at once while the backup goes on (each with up to PARTS_IN_FLIGHT parts in flight). Default 4. */
  concurrency?: number;
  /** Bytes per part of a multipart upload; objects up to this size go up in one PUT. Default 16 MiB (S3's minimum is 5 MiB). */
  partSize?: number;
  /** A pack is closed past this many bytes. Default 12 MiB: a pack is then mostly one PUT of 12 to 16 MiB (restic's size), not a multipart upload. */
  packTargetBytes?: number;
  /** Packs are read in aligned blocks of this size, cached (BlockCacheStore): one GET for neighbouring pieces. Default 4 MiB. */
  readBlockBytes?: number;
  /** Attempts per request, the first included (the SDK's standard retry strategy: backoff with jitter). Default 5. */
  maxAttempts?: number;
  /** A request whose connection stays silent this long fails (and is retried). Default 60 s. */
  idleTimeoutMs?: number;
  /** Milliseconds to wait for a TCP connection. Default 10 s. */
  connectTimeoutMs?: number;
  /** Explicit credentials (tests, embedding); default: the SDK's credential chain. */
  credentials?: S3ClientConfig['credentials'];
  /** Named profile of ~/.aws/config (default: AWS_PROFILE, else 'default'). */
  profile?: string;
}

export { DEFAULT_S3_CONCURRENCY };
/** Parts of one multipart upload in flight: a large file's pack goes up two parts at a time. */
export const PARTS_IN_FLIGHT = 2;
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
// Below the part size, so that a pack, which exceeds its target by the last file's bytes, mostly stays one
// PUT: a multipart upload costs Swift's s3api (segments, a manifest) about a third more CPU.
export const DEFAULT_PACK_TARGET_BYTES = 12 * 1024 * 1024;
export const DEFAULT_READ_BLOCK_BYTES = 4 * 1024 * 1024;
/**
 * What one upload may hold: the parts in flight and the one filling, plus
 * the writer's and its body stream's 1 MiB buffers. The engine keeps at
 * most 2 x concurrency pack uploads and a manifest's open at once.
 */
export function uploadMemoryBound(partSize: number): number {
  return partSize * (PARTS_IN_FLIGHT + 1) + (2 << 20);
}
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ResolvedS3Options {
  endpoint?: string;
  region?: string;
  pathStyle: boolean;
  concurrency: number;
  partSize: number;
  packTargetBytes: number;
  readBlockBytes: number;
  maxAttempts: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  credentials?: S3ClientConfig['credentials'];
  profile?: string;
}

function positiveInteger(value: number | undefined, name: string, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) throw paramError(`S3 option ${name} must be an integer of at least ${minimum}: ${value}`);
  return value;
}

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw paramError(`invalid S3 endpoint '${endpoint}': a URL such as https://s3.example.com is expected`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw paramError(`invalid S3 endpoint '${endpoint}': http:// or https:// is expected`);
  if (url.username || url.password) throw paramError('the S3 endpoint must not hold credentials: use the AWS credential chain (environment, ~/.aws/credentials)');
  return endpoint.replace(/\/+$/, '');
}

export function resolveS3Options(options: S3StoreOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedS3Options {
  const rawEndpoint = options.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  const endpoint = rawEndpoint === undefined ? undefined : checkEndpoint(rawEndpoint);
  // The SDK finds the region in AWS_REGION or the profile; AWS_DEFAULT_REGION is the CLI's older name.
  let region = options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  // A custom endpoint (MinIO, Swift, Ceph) rarely cares; the SDK insists on one.
  if (region === undefined && endpoint !== undefined) region = 'us-east-1';
  return {
    endpoint,
    region,
    pathStyle: options.pathStyle ?? endpoint !== undefined,
    concurrency: positiveInteger(options.concurrency, 'concurrency', DEFAULT_S3_CONCURRENCY),
    partSize: positiveInteger(options.partSize, 'partSize', DEFAULT_PART_SIZE, MIN_PART_SIZE),
    packTargetBytes: positiveInteger(options.packTargetBytes, 'packTargetBytes', DEFAULT_PACK_TARGET_BYTES),
    readBlockBytes: positiveInteger(options.readBlockBytes, 'readBlockBytes', DEFAULT_READ_BLOCK_BYTES),
    maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts', DEFAULT_MAX_ATTEMPTS),
    idleTimeoutMs: positiveInteger(options.idleTimeoutMs, 'idleTimeoutMs', DEFAULT_IDLE_TIMEOUT_MS),
    connectTimeoutMs: positiveInteger(options.connectTimeoutMs, 'connectTimeoutMs', DEFAULT_CONNECT_TIMEOUT_MS),
    credentials: options.credentials,
    profile: options.profile,
  };
}

/**
 * The client. Retries: the SDK's standard strategy (exponential backoff
 * with full jitter, for 5xx, 503 SlowDown, throttling, timeouts and
 * connection resets), maxAttempts in all. A stall is a socket idle for
 * idleTimeoutMs: in this SDK requestTimeout only warns, socketTimeout
 * fails the request, which is then retried. Checksums only where the API
 * requires one: the default sends streamed bodies as `aws-chunked`, which
 * several S3-compatible servers (Swift's s3api) refuse.
 */
export function createS3Client(resolved: ResolvedS3Options): S3Client {
  // Parts of several uploads, reads and lock traffic share these sockets.
  const maxSockets = Math.max(16, resolved.concurrency * 4);
  const client = new S3Client({
    endpoint: resolved.endpoint,
    region: resolved.region,
    forcePathStyle: resolved.pathStyle,
    credentials: resolved.credentials,
    profile: resolved.profile,
    maxAttempts: resolved.maxAttempts,
    retryMode: 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The options of the SDK's NodeHttpHandler, which builds it from them.
    requestHandler: {
      connectionTimeout: resolved.connectTimeoutMs,
      socketTimeout: resolved.idleTimeoutMs,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
  });
  contentMd5ForDeleteObjects(client);
  return client;
}
