// The options of the backup commands, each defined once and listed by the
// commands that take it (Command.options, where a command may describe one
// in its own words); command-line.ts parses them beside the shared options and
// refuses one given to a command that does not take it.
import { LibrsyncError } from '../errors';
import { parseBackupRef } from '../backup/selection';
import { COMPRESSION_MODES, CompressionMode, DEFAULT_COMPRESSION, isCompressionMode } from '../backup/compression/compression-mode';
import { usageError } from './cli-error';
import { parseIntOption } from './numbers';
import { OptionSpec } from './option-spec';
import { defaultS3Values, S3CommandValues } from './store-options';
import { defaultPasswordValues, PasswordCommandValues } from './password-options';

export interface CommandValues {
  name?: string;
  level?: number;
  maxLevel?: number;
  alwaysLevel?: number;
  restartAfterDays?: number;
  exclude: string[];
  at?: string;
  /** CHAIN/ID of one backup (--backup). */
  backup?: string;
  paths: string[];
  overwrite: boolean;
  files: boolean;
  against?: string;
  keepChains?: number;
  olderThan?: string;
  dryRun: boolean;
  /** Files of --exclude patterns (read when the backup starts). */
  excludeFiles: string[];
  excludeIfPresent: string[];
  oneFileSystem: boolean;
  compression?: CompressionMode;
  keepGoing: boolean;
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  /** --s3-endpoint and the other S3 options (store-options.ts). */
  s3: S3CommandValues;
  /** --password-file, --encrypt, --new-password-file (password-options.ts). */
  password: PasswordCommandValues;
}

export function defaultCommandValues(): CommandValues {
  return {
    exclude: [],
    paths: [],
    overwrite: false,
    files: false,
    dryRun: false,
    excludeFiles: [],
    excludeIfPresent: [],
    oneFileSystem: false,
    keepGoing: false,
    s3: defaultS3Values(),
    password: defaultPasswordValues(),
  };
}

const GROUP = 'Backup options';

function count(text: string, option: string): number {
  const value = parseIntOption(text, option);
  if (value < 0) throw usageError(`${option} must not be negative: '${text}'`);
  return value;
}

/** An option taking a value. */
function valued(long: string, value: string, help: string, apply: (v: CommandValues, s: string) => void, defaultValue?: string): OptionSpec<CommandValues> {
  return { long, value, group: GROUP, help, default: defaultValue, apply: (v, s) => apply(v, s!) };
}

/** An option taking a value, given once per value. */
function repeatable(long: string, value: string, help: string, apply: (v: CommandValues, s: string) => void, defaultValue?: string): OptionSpec<CommandValues> {
  return { ...valued(long, value, help, apply, defaultValue), repeatable: true };
}

/** A flag. */
function flag(long: string, help: string, apply: (v: CommandValues) => void): OptionSpec<CommandValues> {
  return { long, group: GROUP, help, apply: (v) => apply(v) };
}

/** CHAIN/ID checked here, so a mistyped one is a usage error before STORE is opened. */
function backupRef(text: string): string {
  try {
    parseBackupRef(text);
  } catch (err) {
    if (err instanceof LibrsyncError) throw usageError(`--backup: ${err.message}`);
    throw err;
  }
  return text;
}

function days(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text) || !(Number(text) > 0)) throw usageError(`invalid number of days for --restart-after: '${text}'`);
  return Number(text);
}

export const NAME = valued('name', 'NAME', 'Backup name', (v, s) => (v.name = s));
export const LEVEL = valued('level', 'N', 'The newest backup at level N', (v, s) => (v.level = count(s, '--level')));
export const MAX_LEVEL = valued('max-level', 'N', 'After level N, the next backup starts a new chain', (v, s) => (v.maxLevel = count(s, '--max-level')), 'no limit');
export const ALWAYS_LEVEL = valued(
  'always-level',
  'N',
  'Once level N exists, each backup is another level N against the newest level N-1 (differential)',
  (v, s) => (v.alwaysLevel = count(s, '--always-level')),
);
export const RESTART_AFTER = valued(
  'restart-after',
  'DAYS',
  "Start a new chain when the chain's level 0 started that long ago",
  (v, s) => (v.restartAfterDays = days(s)),
  'never',
);
export const EXCLUDE = repeatable('exclude', 'GLOB', "Skip matching paths: * ? [...] within a name, ** across; '/' anchors at SOURCE", (v, s) => v.exclude.push(s));
export const AT = valued('at', 'TIME', 'The newest backup committed at or before TIME: ISO 8601 date or time, @SECONDS, or an age (30d, 12h, 2w)', (v, s) => (v.at = s));
export const BACKUP = valued('backup', 'CHAIN/ID', 'That backup, as list shows it: chain-000002/000001-L1', (v, s) => (v.backup = backupRef(s)));
export const PATH = repeatable('path', 'PATH', 'Only this file or subtree, relative to SOURCE', (v, s) => v.paths.push(s), 'everything');
export const OVERWRITE = flag('overwrite', 'Restore into a non-empty TARGET, replacing what is in the way of restored paths', (v) => (v.overwrite = true));
export const FILES = flag('files', 'List the entries of one backup (the newest, or --level / --backup)', (v) => (v.files = true));
export const AGAINST = valued('against', 'SOURCE', 'Also compare the live files of SOURCE with the backup; exit 1 if they differ', (v, s) => (v.against = s));
export const KEEP_CHAINS = valued('keep-chains', 'N', 'Keep the newest N chains of each name, remove the others', (v, s) => (v.keepChains = count(s, '--keep-chains')));
export const OLDER_THAN = valued('older-than', 'TIME', 'Remove chains whose newest backup was committed before TIME (never the newest chain)', (v, s) => {
  v.olderThan = s;
});
export const DRY_RUN = flag('dry-run', 'Say what would be removed; remove nothing', (v) => (v.dryRun = true));

export const EXCLUDE_FILE = repeatable('exclude-file', 'FILE', "Read --exclude patterns from FILE, one a line ('#' starts a comment)", (v, s) => v.excludeFiles.push(s));
export const EXCLUDE_IF_PRESENT = repeatable(
  'exclude-if-present',
  'NAME[:HEADER]',
  'Leave out a directory holding a file NAME (with :HEADER, only one that starts with HEADER); never SOURCE itself',
  (v, s) => v.excludeIfPresent.push(s),
);
/** The cache directory tag's signature (https://bford.info/cachedir/): a CACHEDIR.TAG file starts with it. */
export const CACHEDIR_TAG = 'CACHEDIR.TAG:Signature: 8a477f597d28d172789f06886806bc55';
export const EXCLUDE_CACHES = flag('exclude-caches', 'Leave out cache directories, marked by a CACHEDIR.TAG file with its signature', (v) => v.excludeIfPresent.push(CACHEDIR_TAG));
export const ONE_FILE_SYSTEM = flag('one-file-system', "Stay on SOURCE's file system: mount points below it are kept, empty", (v) => (v.oneFileSystem = true));
export const COMPRESSION = valued(
  'compression',
  'MODE',
  'How new pieces are stored: auto (zstd where it shrinks the data; incompressible data is stored as it is, at almost no cost), max (zstd at a high level: smaller, slower), off',
  (v, s) => {
    if (!isCompressionMode(s)) throw usageError(`--compression must be one of ${COMPRESSION_MODES.join(', ')}, not '${s}'`);
    v.compression = s;
  },
  DEFAULT_COMPRESSION,
);
export const KEEP_GOING = flag('keep-going', 'Restore every file that can be: skip (never write) and list files whose stored data is damaged; exit 106 if any', (v) => {
  v.keepGoing = true;
});
export const KEEP_LAST = valued('keep-last', 'N', 'Keep the N newest backups', (v, s) => (v.keepLast = count(s, '--keep-last')));
export const KEEP_HOURLY = valued('keep-hourly', 'N', 'For each of the last N hours with backups, keep its newest', (v, s) => (v.keepHourly = count(s, '--keep-hourly')));
export const KEEP_DAILY = valued('keep-daily', 'N', 'For each of the last N days with backups, keep its newest', (v, s) => (v.keepDaily = count(s, '--keep-daily')));
export const KEEP_WEEKLY = valued('keep-weekly', 'N', 'For each of the last N ISO weeks with backups, keep its newest', (v, s) => (v.keepWeekly = count(s, '--keep-weekly')));
export const KEEP_MONTHLY = valued('keep-monthly', 'N', 'For each of the last N months with backups, keep its newest', (v, s) => (v.keepMonthly = count(s, '--keep-monthly')));
export const KEEP_YEARLY = valued('keep-yearly', 'N', 'For each of the last N years with backups, keep its newest', (v, s) => (v.keepYearly = count(s, '--keep-yearly')));
export const KEEP_WITHIN = valued('keep-within', 'TIME', 'Keep every backup taken since TIME (an age: 30d, 12h, 2w; or a date)', (v, s) => (v.keepWithin = s));

/** --backup, --level and --at each pick one backup: at most one of them (the ones a command takes). */
export function checkOneBackupChoice(values: CommandValues): void {
  const given = [values.backup !== undefined && '--backup', values.level !== undefined && '--level', values.at !== undefined && '--at'].filter(Boolean);
  if (given.length > 1) throw usageError(`choose one of ${given.join(' and ')}: each picks the backup`);
}

/** Exit statuses of commands that succeeded with something to report. */
export const EXIT_DIFFERENCES = 1;
export const EXIT_WARNINGS = 2;
