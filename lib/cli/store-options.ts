// The options of a store in S3 (s3://BUCKET/PREFIX), taken by every backup
// command. Credentials never come from options (they would show in `ps`
// and shell history): the AWS credential chain provides them.
import { isS3Url } from '../backup/s3-store/s3-url';
import { s3StoreClass } from '../backup/s3-store/lazy-s3-store';
import { DEFAULT_S3_CONCURRENCY } from '../backup/s3-store/s3-defaults';
import { StoreArgument } from '../backup/store';
import { openStoreArgument } from '../backup/open-store';
import { storeAccess } from './password-options';
import { usageError } from './cli-error';
import { CommandValues } from './command-options';
import { parseIntOption } from './numbers';
import { OptionSpec } from './option-spec';

export interface S3CommandValues {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  concurrency?: number;
  /** The options given, for the check that STORE is in S3. */
  given: string[];
}

const GROUP = 'S3 store options (STORE is s3://BUCKET/PREFIX)';

function s3Option(long: string, value: string | undefined, help: string, apply: (s3: S3CommandValues, text: string) => void, defaultValue?: string): OptionSpec<CommandValues> {
  return {
    long,
    value,
    group: GROUP,
    help,
    default: defaultValue,
    apply: (v, text) => {
      v.s3.given.push(`--${long}`);
      apply(v.s3, text ?? '');
    },
  };
}

export const S3_ENDPOINT = s3Option('s3-endpoint', 'URL', 'S3 endpoint of an S3-compatible server (MinIO, Ceph, Swift)', (s3, t) => (s3.endpoint = t), 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else Amazon S3');
export const S3_REGION = s3Option('s3-region', 'REGION', 'S3 region', (s3, t) => (s3.region = t), 'AWS_REGION or the profile\'s; us-east-1 with a custom endpoint');
export const S3_PATH_STYLE = s3Option('s3-path-style', undefined, 'Path-style requests (ENDPOINT/BUCKET/KEY) rather than virtual-hosted', (s3) => (s3.pathStyle = true), 'on with a custom endpoint');
export const S3_CONCURRENCY = s3Option(
  's3-concurrency',
  'N',
  'Packs uploading at once while the backup reads on; memory for uploads is about 18 MiB x N (a pack of one part), at most 50 MiB x (2N + 1)',
  (s3, t) => {
    const n = parseIntOption(t, '--s3-concurrency');
    if (n < 1 || n > 64) throw usageError(`--s3-concurrency must be between 1 and 64: '${t}'`);
    s3.concurrency = n;
  },
  String(DEFAULT_S3_CONCURRENCY),
);

export const S3_OPTIONS = [S3_ENDPOINT, S3_REGION, S3_PATH_STYLE, S3_CONCURRENCY] as const;

export function defaultS3Values(): S3CommandValues {
  return { given: [] };
}

/**
 * STORE as the engine takes it: an S3Store with the options for s3://, else
 * the path (S3 options with a local STORE are a usage error); opened with
 * the passphrase when one is given (password-options.ts).
 */
export function storeArgument(store: string, values: CommandValues): StoreArgument {
  const access = storeAccess(values);
  return access.password !== undefined || access.encrypt ? openStoreArgument(plainStoreArgument(store, values), access) : plainStoreArgument(store, values);
}

export function plainStoreArgument(store: string, values: CommandValues): StoreArgument {
  const s3 = values.s3;
  if (!isS3Url(store)) {
    if (s3.given.length > 0) throw usageError(`${s3.given[0]} is for a store in S3 (s3://BUCKET/PREFIX), not '${store}'`);
    return store;
  }
  // The SDK warns on Node < 22 about its own future releases: noise on a backup's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new (s3StoreClass())(store, { endpoint: s3.endpoint, region: s3.region, pathStyle: s3.pathStyle, concurrency: s3.concurrency });
}
