// The options of the program itself (every command takes them: --json,
// --progress, --backend, -v, -h, -V) and rdiff's, which its three commands
// list (and backup its -b); each defined once, for parsing and for help.
import { Backend } from '../backend';
import { MAX_CONCURRENCY } from '../concurrency';
import { RollingHash, StrongHash } from '../magic';
import { usageError } from './cli-error';
import { parseByteCount, parseIntOption } from './numbers';
import { OptionSpec } from './option-spec';

export interface CliOptions {
  help: boolean;
  version: boolean;
  verbose: boolean;
  statistics: boolean;
  force: boolean;
  json: boolean;
  /** undefined: show progress only when stderr is a terminal. */
  progress?: boolean;
  hash: StrongHash;
  rollsum: RollingHash;
  /** 0: recommended for the input size, as rdiff. */
  blockLength: number;
  /** 0: maximum, -1: minimum safe, as rdiff. */
  strongLength: number;
  /** 0: the library's default, as rdiff. */
  inputSize: number;
  outputSize: number;
  maxOutput?: number;
  /** undefined: the library's default (LIBRSYNC_BACKEND, else native when it loads). */
  backend?: Backend;
  /** undefined: the library's default (cores, at most UV_THREADPOOL_SIZE). */
  concurrency?: number;
}

export function defaultOptions(): CliOptions {
  return {
    help: false,
    version: false,
    verbose: false,
    statistics: false,
    force: false,
    json: false,
    hash: 'blake2',
    rollsum: 'rabinkarp',
    blockLength: 0,
    strongLength: 0,
    inputSize: 0,
    outputSize: 0,
  };
}

function oneOf<V extends string>(value: string, allowed: readonly V[], what: string): V {
  if ((allowed as readonly string[]).includes(value)) return value as V;
  throw usageError(`unknown ${what} '${value}' (expected ${allowed.join(' or ')})`);
}

const GLOBAL = 'Global options (every command)';
const RDIFF = 'Options of signature, delta and patch';
const SIGNATURE = 'Signature generation options';
const DELTA = 'Delta-encoding options';
const IO = 'IO options';

type Spec = OptionSpec<CliOptions>;

export const VERBOSE: Spec = { long: 'verbose', short: ['v'], group: GLOBAL, help: 'Show parameters and librsync trace on failure', apply: (o) => void (o.verbose = true) };
export const VERSION: Spec = { long: 'version', short: ['V'], group: GLOBAL, help: 'Show program version', apply: (o) => void (o.version = true) };
export const HELP: Spec = { long: 'help', short: ['?', 'h'], group: GLOBAL, help: 'Show help (of the command, when one is named)', apply: (o) => void (o.help = true) };
export const JSON_OUTPUT: Spec = { long: 'json', group: GLOBAL, help: 'Print a JSON summary (or error) instead of text', apply: (o) => void (o.json = true) };
export const PROGRESS: Spec = {
  long: 'progress',
  group: GLOBAL,
  help: 'Show progress on stderr',
  default: 'when stderr is a terminal',
  apply: (o) => void (o.progress = true),
};
export const NO_PROGRESS: Spec = { long: 'no-progress', group: GLOBAL, help: 'Never show progress', apply: (o) => void (o.progress = false) };
export const BACKEND: Spec = {
  long: 'backend',
  value: 'NAME',
  group: GLOBAL,
  help: 'native (librsync addon) or js (TypeScript)',
  default: 'LIBRSYNC_BACKEND, else native when the addon loads, else js',
  apply: (o, v) => void (o.backend = oneOf(v!, ['native', 'js'] as const, 'backend')),
};

export const STATISTICS: Spec = { long: 'statistics', short: ['s'], group: RDIFF, help: "Show performance statistics on stderr, rdiff's lines (delta: slower, to count its matches)", apply: (o) => void (o.statistics = true) };
export const FORCE: Spec = { long: 'force', short: ['f'], group: RDIFF, help: 'Force overwriting existing files', apply: (o) => void (o.force = true) };
export const HASH: Spec = {
  long: 'hash',
  short: ['H'],
  value: 'ALG',
  group: SIGNATURE,
  help: 'Hash algorithm: blake2 or md4',
  default: 'blake2',
  apply: (o, v) => void (o.hash = oneOf(v!, ['blake2', 'md4'] as const, 'hash algorithm')),
};
export const ROLLSUM: Spec = {
  long: 'rollsum',
  short: ['R'],
  value: 'ALG',
  group: SIGNATURE,
  help: 'Rollsum algorithm: rabinkarp or rollsum',
  default: 'rabinkarp',
  apply: (o, v) => void (o.rollsum = oneOf(v!, ['rabinkarp', 'rollsum'] as const, 'rollsum algorithm')),
};
export const BLOCK_SIZE: Spec = {
  long: 'block-size',
  short: ['b'],
  value: 'BYTES',
  group: DELTA,
  help: 'Signature block size, 0 for recommended',
  default: '0',
  apply: (o, v) => void (o.blockLength = parseIntOption(v!, '--block-size')),
};
export const SUM_SIZE: Spec = {
  long: 'sum-size',
  short: ['S'],
  value: 'BYTES',
  group: DELTA,
  help: 'Signature strength, 0 for max, -1 for min',
  default: '0',
  apply: (o, v) => void (o.strongLength = parseIntOption(v!, '--sum-size')),
};
export const MAX_OUTPUT: Spec = {
  long: 'max-output',
  value: 'BYTES',
  group: DELTA,
  help: 'patch: fail (108) rather than write more than BYTES',
  default: 'no limit',
  apply: (o, v) => void (o.maxOutput = parseByteCount(v!, '--max-output')),
};
export const CONCURRENCY: Spec = {
  long: 'concurrency',
  short: ['j'],
  value: 'N',
  group: IO,
  help: 'Signature and delta work items in flight (1: serial librsync)',
  default: 'cores, at most UV_THREADPOOL_SIZE',
  apply: (o, v) => {
    const n = parseIntOption(v!, '--concurrency');
    if (n < 1 || n > MAX_CONCURRENCY) throw usageError(`--concurrency must be between 1 and ${MAX_CONCURRENCY}: '${v}'`);
    o.concurrency = n;
  },
};
export const INPUT_SIZE: Spec = {
  long: 'input-size',
  short: ['I'],
  value: 'BYTES',
  group: IO,
  help: 'Input buffer size, 0 for the default',
  default: '1 MiB',
  apply: (o, v) => void (o.inputSize = parseIntOption(v!, '--input-size')),
};
export const OUTPUT_SIZE: Spec = {
  long: 'output-size',
  short: ['O'],
  value: 'BYTES',
  group: IO,
  help: 'Output buffer size, 0 for the default',
  default: '256 KiB',
  apply: (o, v) => void (o.outputSize = parseIntOption(v!, '--output-size')),
};

/** What every command takes, listed under each command's help. */
export const GLOBAL_OPTIONS: readonly Spec[] = [JSON_OUTPUT, PROGRESS, NO_PROGRESS, BACKEND, VERBOSE, HELP, VERSION];

/** rdiff's options (and --max-output), in the overview as rdiff's help lists them. */
export const RDIFF_OPTIONS: readonly Spec[] = [STATISTICS, FORCE, HASH, ROLLSUM, BLOCK_SIZE, SUM_SIZE, MAX_OUTPUT, CONCURRENCY, INPUT_SIZE, OUTPUT_SIZE];

/** What every library call of a command takes: the backend, and -I / -O as the job stream's step sizes (0 keeps the defaults, as in rdiff). */
export function jobOptions(options: CliOptions): { backend?: Backend; concurrency?: number; inputChunkSize?: number; outputChunkSize?: number } {
  return {
    backend: options.backend,
    concurrency: options.concurrency,
    inputChunkSize: options.inputSize === 0 ? undefined : options.inputSize,
    outputChunkSize: options.outputSize === 0 ? undefined : options.outputSize,
  };
}
