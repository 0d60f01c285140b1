// What the SDK throws, as this package's typed errors. Called once the
// SDK's retries are spent. Messages name the store and what was being
// done, the HTTP status and S3's error code: never credentials, signatures
// or request headers (the SDK's own error objects are kept only as `cause`).
import { LibrsyncError } from '../../errors';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: unknown;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'InvalidClientTokenId', 'AllAccessDisabled']);
/** Credentials the SDK could not find at all (before any request). */
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ProviderError']);
const NETWORK = /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|aborted|timed out|TimeoutError/i;

export function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

export function s3ErrorName(err: unknown): string {
  const e = err as SdkError | null;
  return e?.name ?? e?.code ?? 'Error';
}

export function isNotFound(err: unknown): boolean {
  const name = s3ErrorName(err);
  return statusOf(err) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

export function isNoSuchBucket(err: unknown): boolean {
  return s3ErrorName(err) === 'NoSuchBucket';
}

/** Whether a failure is the network's or the server's (worth resuming a read after). */
export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined && status >= 500) return true;
  if (status !== undefined && (status === 408 || status === 429)) return true;
  const e = err as SdkError | null;
  const text = `${e?.name ?? ''} ${e?.code ?? ''} ${e?.message ?? ''}`;
  return status === undefined && NETWORK.test(text);
}

/**
 * The typed error for a failed request: `doing` says what ('reading
 * backups/x', 'listing locks'), `where` names the store (s3://bucket/prefix
 * at the endpoint); `transient` when the caller knows the network failed.
 */
export function storeError(err: unknown, doing: string, where: string, transient = false): Error {
  if (err instanceof LibrsyncError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const status = statusOf(err);
  const name = s3ErrorName(err);
  const attempts = (err as SdkError | null)?.$metadata?.attempts;
  const tried = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';
  const what = status !== undefined ? `${status} ${name}` : name === 'Error' ? String((err as SdkError | null)?.message ?? err) : name;
  if (NO_CREDENTIALS.has(name)) {
    return new LibrsyncError('STORE_ACCESS_DENIED', `${where}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or ~/.aws/credentials)`, { cause: err });
  }
  if (status === 403 || ACCESS_DENIED.has(name)) {
    return new LibrsyncError('STORE_ACCESS_DENIED', `${where}: access denied while ${doing} (${what}): check the credentials and their permissions`, { cause: err });
  }
  if (isNoSuchBucket(err)) return new LibrsyncError('STORE_NOT_FOUND', `${where}: no such bucket (${what})`, { cause: err });
  if (transient || isTransient(err)) {
    return new LibrsyncError('STORE_UNAVAILABLE', `${where}: the object store is unavailable while ${doing}${tried} (${what})`, { cause: err });
  }
  return new LibrsyncError('RS_IO_ERROR', `${where}: ${doing} failed (${what})`, { cause: err });
}
