// What a subcommand is: its place in the command table, how many
// arguments it takes, and what it does.
import { CliIO } from './cli-io';
import { CliOptions } from './cli-options';
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
}

export interface CommandOutcome {
  /** Fields of the --json summary besides ok and command. */
  summary: Record<string, unknown>;
  /** -s lines, without the program prefix. */
  statistics: string[];
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
  run(context: CommandContext): Promise<CommandOutcome>;
}

export function writesToStdout(command: Command, args: readonly string[]): boolean {
  if (command.outputArg === undefined) return false;
  const name = args[command.outputArg];
  return name === undefined || name === '-';
}
