// A popt-like command-line parser: options may come before or after the
// positionals, `--opt=value`, `--opt value`, `-bVALUE`, `-b VALUE` and
// clustered flags (`-sf`); a lone `-` is a positional and `--` ends the
// options. It keeps going after a bad option so that flags later on the
// line (--json) still shape how the error is reported.
import { CliError, usageError } from './cli-error';
import { OptionSpec } from './option-spec';

/**
 * An option no table knows. The parser cannot tell which command the line
 * is for until it has read it all, so the nearest known option is found
 * afterwards, among that command's options.
 */
export class UnknownOptionError extends CliError {
  constructor(
    /** As typed: '--exlude', '-x'. */
    readonly shown: string,
    /** The name to compare with long option names: 'exlude'; 'exclude' for '-exclude' typed with one dash. */
    readonly word: string | undefined,
  ) {
    const usage = usageError(`unknown option: ${shown}`);
    super(usage.code, usage.exitCode, usage.message, { usage: true });
  }
}

export interface ParsedArgs {
  positionals: string[];
  /** The first problem found, if any. */
  error?: CliError;
}

export function parseArgs<T>(argv: readonly string[], specs: readonly OptionSpec<T>[], target: T): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.flatMap((s) => (s.short ?? []).map((c) => [c, s] as const)));
  const positionals: string[] = [];
  let error: CliError | undefined;

  const apply = (spec: OptionSpec<T>, value: string | undefined): void => {
    try {
      spec.apply(target, value);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      error ??= err;
    }
  };
  const fail = (message: string): void => {
    error ??= usageError(message);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) {
        error ??= new UnknownOptionError(`--${name}`, name);
      } else if (!spec.value) {
        if (eq >= 0) fail(`option does not take an argument: --${name}`);
        else apply(spec, undefined);
      } else if (eq >= 0) {
        apply(spec, arg.slice(eq + 1));
      } else if (i + 1 < argv.length) {
        apply(spec, argv[++i]);
      } else {
        fail(`missing argument: --${name}`);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short options; one taking a value takes the rest.
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]);
        if (!spec) {
          // '-exclude': a long option typed with one dash, most likely.
          const word = j === 1 && arg.length > 2 ? arg.slice(1).split('=')[0] : undefined;
          error ??= new UnknownOptionError(arg, word); // the whole cluster, as popt shows it
          break;
        }
        if (!spec.value) {
          apply(spec, undefined);
          continue;
        }
        if (j + 1 < arg.length) apply(spec, arg.slice(j + 1));
        else if (i + 1 < argv.length) apply(spec, argv[++i]);
        else fail(`missing argument: -${arg[j]}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, error };
}
