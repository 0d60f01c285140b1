// `help [COMMAND]`: the overview, or one command's help. `--help` and `-h`
// anywhere on a command line run this too.
import { Command, CommandContext, CommandOutcome, OTHER_COMMANDS } from './command';
import { findCommand } from './command-lookup';
import { GLOBAL_OPTIONS, RDIFF_OPTIONS } from './cli-options';
import { EXIT_HELP } from './exit-statuses';
import { commandHelp, overviewHelp } from './help-text';

/** The help `librsync help [word]` prints. */
export function helpFor(commands: readonly Command[], word: string | undefined): string {
  if (word === undefined) return overviewHelp(commands, GLOBAL_OPTIONS, RDIFF_OPTIONS);
  return commandHelp(findCommand(commands, word), GLOBAL_OPTIONS);
}

async function runHelp(context: CommandContext): Promise<CommandOutcome> {
  const text = helpFor(context.commands, context.args[0]);
  // Text on stdout, as rdiff prints its help; with --json, the same text in the summary.
  if (!context.options.json) context.reporter.print(text);
  return { summary: { text }, statistics: [] };
}

export const helpCommand: Command = {
  name: 'help',
  synopsis: '[COMMAND]',
  summary: 'Show the help of COMMAND, or this overview',
  description: [
    `'librsync COMMAND --help' (or -h) shows the same. With --json, the text is the "text" field of the JSON summary.`,
  ],
  group: OTHER_COMMANDS,
  acceptsPrefix: false,
  minArgs: 0,
  maxArgs: 1,
  options: [],
  examples: [
    { what: 'Every command and the options they share', line: 'librsync help' },
    { what: "restore's options, their defaults, examples and exit statuses", line: 'librsync help restore' },
  ],
  exitStatuses: [EXIT_HELP.success, { status: '101', meaning: 'unknown command (the nearest one is suggested)' }],
  run: runHelp,
};
