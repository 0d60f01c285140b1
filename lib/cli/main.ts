// The librsync command: parse the shared options, pick the command from
// the table, run it, and turn the outcome into output and an exit status.
import { setDefaultBackend } from '../backend';
import { nativeLoadError, nativeLoadReason } from '../native-binding';
import { interrupted, usageError } from './cli-error';
import { CLI_OPTIONS, CliOptions, defaultOptions } from './cli-options';
import { CliIO, processIO } from './cli-io';
import { Command, writesToStdout } from './command';
import { CommandValues, defaultCommandValues } from './command-options';
import { COMMANDS, checkArity, findCommand } from './command-table';
import { describeFailure, isBrokenPipe } from './failure';
import { helpText, versionInfo, versionText } from './help-text';
import { OptionSpec } from './option-spec';
import { parseArgs } from './parse-args';
import { Reporter } from './reporter';

/** What a shell shows for rdiff killed by SIGPIPE; Node gets EPIPE instead. */
export const BROKEN_PIPE_EXIT = 128 + 13;

/**
 * The shared options plus every command's own (each once), so one parse
 * finds the positionals whatever the command; `used` records which
 * command options were given, checked against the command afterwards.
 */
function optionTable(values: CommandValues, used: Set<string>): OptionSpec<CliOptions>[] {
  const table: OptionSpec<CliOptions>[] = [...CLI_OPTIONS];
  const seen = new Set(table.map((s) => s.long));
  for (const spec of COMMANDS.flatMap((c) => c.options ?? [])) {
    if (seen.has(spec.long)) continue;
    seen.add(spec.long);
    table.push({ ...spec, apply: (_options, value) => (used.add(spec.long), spec.apply(values, value)) });
  }
  return table;
}

function checkCommandOptions(command: Command, used: ReadonlySet<string>): void {
  for (const long of used) {
    if (!command.options?.some((s) => s.long === long)) throw usageError(`--${long} is not an option of ${command.name}`);
  }
}

/** Runs one command line; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIO = processIO(), signal: AbortSignal = new AbortController().signal): Promise<number> {
  const options = defaultOptions();
  const values = defaultCommandValues();
  const used = new Set<string>();
  const table = optionTable(values, used);
  const parsed = parseArgs(argv, table, options);
  const reporter = new Reporter(io, options);
  try {
    if (parsed.error) throw parsed.error;
    chooseBackend(options, reporter);
    if (options.help) {
      reporter.print(helpText(COMMANDS, table));
      return 0;
    }
    if (options.version) {
      const info = versionInfo(options.backend);
      if (options.json) reporter.success({ command: 'version', ...info });
      else reporter.print(versionText(info));
      return 0;
    }
    const [word, ...args] = parsed.positionals;
    const command = findCommand(word);
    checkArity(command, args);
    checkCommandOptions(command, used);
    reporter.dataOnStdout = writesToStdout(command, args);
    const showProgress = options.progress ?? io.stderr.isTTY === true;
    const outcome = await command.run({ args, options, io, reporter, showProgress, signal, values });
    reporter.statistics(outcome.statistics);
    reporter.success({ command: command.name, ...outcome.summary });
    return outcome.exitCode ?? 0;
  } catch (err) {
    if (isBrokenPipe(err)) return BROKEN_PIPE_EXIT;
    const failure = describeFailure(err);
    reporter.failure(failure);
    return failure.exitCode;
  }
}

/**
 * With no --backend and no LIBRSYNC_BACKEND, a missing addon means the js
 * backend: say so in one line (the library's own warning is a long
 * process warning meant for programs).
 */
function chooseBackend(options: CliOptions, reporter: Reporter): void {
  if (options.backend || process.env.LIBRSYNC_BACKEND) return;
  if (!nativeLoadError()) return;
  reporter.notice(`native addon unavailable (${nativeLoadReason()}); using the js backend (see README, "Install")`);
  options.backend = 'js';
  setDefaultBackend('js'); // so the library does not warn a second time
}

/** Entry point for bin/librsync.js. */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  // A reader that goes away early is not worth a stack trace. Other
  // errors reach stdout only when a failing pipeline destroys it, and
  // that pipeline reports them.
  let brokenPipe = false;
  const onStdioError = (err: Error): void => {
    if (!isBrokenPipe(err)) return;
    brokenPipe = true;
    process.exitCode = BROKEN_PIPE_EXIT;
  };
  process.stdout.on('error', onStdioError);
  process.stderr.on('error', onStdioError);
  // The first Ctrl-C stops cleanly (no temporary file left); a second one kills.
  const interruption = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, () => interruption.abort(interrupted(name)));
  }
  // A command whose work stopped without settling (an awaited stream that
  // never ended) lets the event loop empty: that must not look like success.
  let settled = false;
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('librsync: internal error: the command stopped before it finished (please report)\n');
    process.exitCode = 107;
  });
  main(argv, processIO(), interruption.signal).then(
    (code) => {
      settled = true;
      process.exitCode = brokenPipe ? BROKEN_PIPE_EXIT : code;
    },
    (err: unknown) => {
      settled = true;
      process.stderr.write(`librsync: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 107;
    },
  );
}
