// What a subcommand is: its place in the command table, how many
// arguments it takes, what it does, and what its help says.
import { CliIO } from './cli-io';
import { CliOptions } from './cli-options';
import { CommandValues } from './command-options';
import { ExitStatusHelp } from './exit-statuses';
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
  /** Every command (for help, which is about them). */
  commands: readonly Command[];
}

export interface CommandOutcome {
  /** Fields of the --json summary besides ok and command. */
  summary: Record<string, unknown>;
  /** -s lines, without the program prefix. */
  statistics: string[];
  /** Exit status when the command succeeded with something to say (differences, warnings); default 0. */
  exitCode?: number;
}

/** Headings of the list of commands. */
export const RDIFF_COMMANDS = "rdiff's commands";
export const BACKUP_COMMANDS = 'Backup commands';
export const OTHER_COMMANDS = 'Other commands';

/** What the option parser fills in: the shared options and the commands' own, in one object. */
export type ParsedOptions = CliOptions & CommandValues;

/** An option a command takes: a shared one (cli-options.ts) or a command option (command-options.ts). */
export type CommandOption = OptionSpec<ParsedOptions>;

export interface CommandExample {
  /** What it does, shown as a comment above the command line. */
  what: string;
  /** The whole command line, starting with the program's name. */
  line: string;
}

/**
 * A command, and everything its help says: a new command declares these
 * in its file and is listed in command-table.ts; help, option checks and
 * suggestions follow from them.
 */
export interface Command {
  name: string;
  /** Arguments as shown in usage: 'SIGNATURE [NEWFILE [DELTA]]'. */
  synopsis: string;
  /** One line for the list of commands. */
  summary: string;
  /** Paragraphs of the command's help, after its usage line. */
  description: readonly string[];
  /** Heading the command is listed under. */
  group: string;
  /** rdiff accepts any prefix of its actions ('sig', 'd'); newer commands need not. */
  acceptsPrefix: boolean;
  minArgs: number;
  maxArgs: number;
  /** Index of the argument naming the data output: missing or '-' means stdout. */
  outputArg?: number;
  /** Options this command takes besides the global ones, in the order its help lists them. */
  options: readonly CommandOption[];
  /** Options accepted and ignored, as rdiff accepts every option with every action. */
  ignoredOptions?: readonly CommandOption[];
  examples: readonly CommandExample[];
  exitStatuses: readonly ExitStatusHelp[];
  run(context: CommandContext): Promise<CommandOutcome>;
}

export function writesToStdout(command: Command, args: readonly string[]): boolean {
  if (command.outputArg === undefined) return false;
  const name = args[command.outputArg];
  return name === undefined || name === '-';
}

export type OwnCommandSpec = Omit<Command, 'acceptsPrefix' | 'minArgs' | 'maxArgs'>;

/** A command of this package's own (not rdiff's): whole name only, exactly the arguments its synopsis names. */
export function ownCommand(spec: OwnCommandSpec): Command {
  const count = spec.synopsis.split(' ').length;
  return { ...spec, acceptsPrefix: false, minArgs: count, maxArgs: count };
}

/** The human-readable result on stdout (not with --json) and the outcome carrying the JSON summary. */
export function reportOutcome(context: CommandContext, lines: readonly string[], summary: object, exitCode?: number): CommandOutcome {
  context.reporter.result(lines);
  return { summary: { ...summary }, statistics: [], exitCode };
}
