// The librsync command: read the command line, run the command, and turn
// the outcome into output and an exit status.
import { setDefaultBackend } from '../backend';
import { nativeLoadError, nativeLoadReason } from '../native-binding';
import { interrupted } from './cli-error';
import { CliOptions } from './cli-options';
import { CliIO, processIO } from './cli-io';
import { writesToStdout } from './command';
import { chooseCommand, parseCommandLine } from './command-line';
import { COMMANDS } from './command-table';
import { describeFailure, isBrokenPipe } from './failure';
import { helpCommand } from './help-command';
import { askAfterRefusal } from './password-options';
import { versionInfo, versionText } from './help-text';
import { Reporter } from './reporter';

/** What a shell shows for rdiff killed by SIGPIPE; Node gets EPIPE instead. */
export const BROKEN_PIPE_EXIT = 128 + 13;

/** Runs one command line; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIO = processIO(), signal: AbortSignal = new AbortController().signal): Promise<number> {
  const line = parseCommandLine(argv);
  const { values, named } = line;
  const reporter = new Reporter(io, values);
  // Known early, so that even an error in the options points to the command's help.
  if (named && named !== helpCommand) reporter.helpTopic = named.name;
  try {
    const choice = chooseCommand(line);
    chooseBackend(values, reporter);
    if (choice === 'version') {
      const info = versionInfo(values.backend);
      if (values.json) reporter.success({ command: 'version', ...info });
      else reporter.print(versionText(info));
      return 0;
    }
    const { command, args } = choice;
    reporter.dataOnStdout = writesToStdout(command, args);
    const showProgress = values.progress ?? io.stderr.isTTY === true;
    const runCommand = () => command.run({ args, options: values, io, reporter, showProgress, signal, values, commands: COMMANDS });
    // An encrypted store opened without a passphrase fails before any work: on a terminal, ask and run again.
    const outcome = await runCommand().catch(async (err: unknown) => {
      if (await askAfterRefusal(err, values, io)) return runCommand();
      throw err;
    });
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
