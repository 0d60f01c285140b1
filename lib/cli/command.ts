// What a subcommand is: its place in the command table, how many
// arguments it takes, and what it does.
import { CliIO } from './cli-io';
import { CliOptions } from './cli-options';
import { CommandValues } from './command-options';
import { OptionSpec } from './option-spec';
import { Reporter } from './reporter';

export interface CommandContext {
  args: readonly string[];
  options: CliOptions;
  io: CliIO;
  reporter: Reporter;
  /** Whether to draw progress on stderr (resolved from --progress / the TTY). */
  showProgress: boolean;
  /** Aborted on SIGINT / SIGTERM: pipelines stop and temporary outputs are removed. */
  signal: AbortSignal;
  /** Values of the command's own options (Command.options). */
  values: CommandValues;
}

export interface CommandOutcome {
  /** Fields of the --json summary besides ok and command. */
  summary: Record<string, unknown>;
  /** -s lines, without the program prefix. */
  statistics: string[];
  /** Exit status when the command succeeded with something to say (differences, warnings); default 0. */
  exitCode?: number;
}

export interface Command {
  name: string;
  /** Arguments as shown in usage: 'SIGNATURE [NEWFILE [DELTA]]'. */
  synopsis: string;
  description: string;
  /** rdiff accepts any prefix of its actions ('sig', 'd'); newer commands need not. */
  acceptsPrefix: boolean;
  minArgs: number;
  maxArgs: number;
  /** Index of the argument naming the data output: missing or '-' means stdout. */
  outputArg?: number;
  /** Options only this command takes, besides the shared ones. */
  options?: readonly OptionSpec<CommandValues>[];
  run(context: CommandContext): Promise<CommandOutcome>;
}

export function writesToStdout(command: Command, args: readonly string[]): boolean {
  if (command.outputArg === undefined) return false;
  const name = args[command.outputArg];
  return name === undefined || name === '-';
}

/** A command of this package's own (not rdiff's): whole name only, exactly the arguments its synopsis names. */
export function ownCommand(
  name: string,
  synopsis: string,
  description: string,
  options: readonly OptionSpec<CommandValues>[],
  run: (context: CommandContext) => Promise<CommandOutcome>,
): Command {
  const count = synopsis.split(' ').length;
  return { name, synopsis, description, acceptsPrefix: false, minArgs: count, maxArgs: count, options, run };
}

/** The human-readable result on stdout (not with --json) and the outcome carrying the JSON summary. */
export function reportOutcome(context: CommandContext, lines: readonly string[], summary: object, exitCode?: number): CommandOutcome {
  context.reporter.result(lines);
  return { summary: { ...summary }, statistics: [], exitCode };
}
