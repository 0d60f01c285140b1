// `s3://BUCKET/PREFIX`: where a store lives in an object store. The prefix
// is a folder-like key prefix ('' = the bucket's top); no credentials or
// endpoint ever go in the URL (they come from the AWS credential chain).
import { paramError } from '../../errors';

export interface S3Location {
  bucket: string;
  /** '' or 'a/b' (no leading or trailing '/'). */
  prefix: string;
}

export const S3_URL_SCHEME = 's3://';

export function isS3Url(text: string): boolean {
  return text.toLowerCase().startsWith(S3_URL_SCHEME);
}

/** S3's bucket naming rules (3-63 lowercase letters, digits, '.', '-'), which Swift's s3api also applies. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Url(url: string): S3Location {
  if (!isS3Url(url)) throw paramError(`not an s3:// URL: '${url}'`);
  const rest = url.slice(S3_URL_SCHEME.length);
  if (/[?#]/.test(rest) || rest.includes('@')) {
    throw paramError(`an s3:// store URL is s3://BUCKET/PREFIX, without credentials, query or fragment: '${redactUrl(url)}'`);
  }
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw paramError(`invalid bucket name '${bucket}' in '${url}': 3 to 63 lowercase letters, digits, '.' and '-'`);
  }
  const parts = (slash < 0 ? '' : rest.slice(slash + 1)).split('/').filter((part) => part !== '');
  if (parts.some((part) => part === '.' || part === '..')) throw paramError(`invalid prefix in '${url}': no '.' or '..' parts`);
  return { bucket, prefix: parts.join('/') };
}

export function formatS3Url(location: S3Location): string {
  return `${S3_URL_SCHEME}${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
}

/** A URL as it may be shown: anything that looks like user:secret@ is cut out. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}
