// The options every command shares (rdiff's, plus --json, --progress and
// --max-output), in one table that drives both parsing and --help.
import { Backend } from '../backend';
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

const GENERAL = 'Options';
const SIGNATURE = 'Signature generation options';
const DELTA = 'Delta-encoding options';
const IO = 'IO options';

export const CLI_OPTIONS: readonly OptionSpec<CliOptions>[] = [
  { long: 'verbose', short: ['v'], group: GENERAL, help: 'Show parameters and librsync trace on failure', apply: (o) => void (o.verbose = true) },
  { long: 'version', short: ['V'], group: GENERAL, help: 'Show program version', apply: (o) => void (o.version = true) },
  { long: 'help', short: ['?', 'h'], group: GENERAL, help: 'Show this help message', apply: (o) => void (o.help = true) },
  { long: 'statistics', short: ['s'], group: GENERAL, help: 'Show performance statistics', apply: (o) => void (o.statistics = true) },
  { long: 'force', short: ['f'], group: GENERAL, help: 'Force overwriting existing files', apply: (o) => void (o.force = true) },
  { long: 'json', group: GENERAL, help: 'Print a JSON summary (or error) instead of text', apply: (o) => void (o.json = true) },
  { long: 'progress', group: GENERAL, help: 'Show progress on stderr (default: when it is a terminal)', apply: (o) => void (o.progress = true) },
  { long: 'no-progress', group: GENERAL, help: 'Never show progress', apply: (o) => void (o.progress = false) },
  {
    long: 'backend',
    value: 'NAME',
    group: GENERAL,
    help: 'native (librsync addon) or js (TypeScript); default: native when it loads',
    apply: (o, v) => void (o.backend = oneOf(v!, ['native', 'js'] as const, 'backend')),
  },
  {
    long: 'hash',
    short: ['H'],
    value: 'ALG',
    group: SIGNATURE,
    help: 'Hash algorithm: blake2 (default), md4',
    apply: (o, v) => void (o.hash = oneOf(v!, ['blake2', 'md4'] as const, 'hash algorithm')),
  },
  {
    long: 'rollsum',
    short: ['R'],
    value: 'ALG',
    group: SIGNATURE,
    help: 'Rollsum algorithm: rabinkarp (default), rollsum',
    apply: (o, v) => void (o.rollsum = oneOf(v!, ['rabinkarp', 'rollsum'] as const, 'rollsum algorithm')),
  },
  {
    long: 'block-size',
    short: ['b'],
    value: 'BYTES',
    group: DELTA,
    help: 'Signature block size, 0 (default) for recommended',
    apply: (o, v) => void (o.blockLength = parseIntOption(v!, '--block-size')),
  },
  {
    long: 'sum-size',
    short: ['S'],
    value: 'BYTES',
    group: DELTA,
    help: 'Signature strength, 0 (default) for max, -1 for min',
    apply: (o, v) => void (o.strongLength = parseIntOption(v!, '--sum-size')),
  },
  {
    long: 'max-output',
    value: 'BYTES',
    group: DELTA,
    help: 'patch: fail rather than write more than BYTES',
    apply: (o, v) => void (o.maxOutput = parseByteCount(v!, '--max-output')),
  },
  {
    long: 'input-size',
    short: ['I'],
    value: 'BYTES',
    group: IO,
    help: 'Input buffer size',
    apply: (o, v) => void (o.inputSize = parseIntOption(v!, '--input-size')),
  },
  {
    long: 'output-size',
    short: ['O'],
    value: 'BYTES',
    group: IO,
    help: 'Output buffer size',
    apply: (o, v) => void (o.outputSize = parseIntOption(v!, '--output-size')),
  },
];

/** What every library call of a command takes: the backend, and -I / -O as the job stream's step sizes (0 keeps the defaults, as in rdiff). */
export function jobOptions(options: CliOptions): { backend?: Backend; inputChunkSize?: number; outputChunkSize?: number } {
  return {
    backend: options.backend,
    inputChunkSize: options.inputSize === 0 ? undefined : options.inputSize,
    outputChunkSize: options.outputSize === 0 ? undefined : options.outputSize,
  };
}
