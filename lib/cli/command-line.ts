// Reading a command line: every command's options in one table (a shared
// option is one spec, whichever commands list it), the command the words
// name, and the checks that the command takes what it was given, with
// the nearest option or command suggested for a mistyped one.
import { CliError, usageError } from './cli-error';
import { GLOBAL_OPTIONS, defaultOptions } from './cli-options';
import { Command, CommandOption, ParsedOptions } from './command';
import { defaultCommandValues } from './command-options';
import { checkArity, findCommand, lookupCommand } from './command-lookup';
import { COMMANDS } from './command-table';
import { helpCommand } from './help-command';
import { didYouMean } from './nearest-names';
import { OptionSpec, optionLabel } from './option-spec';
import { UnknownOptionError, parseArgs } from './parse-args';

/**
 * The global options plus every command's own (each once), so one parse
 * finds the positionals whatever the command; `given` records which
 * command options were given, checked against the command afterwards.
 */
function optionTable(commands: readonly Command[], given: Set<string>): CommandOption[] {
  const table: CommandOption[] = [...GLOBAL_OPTIONS];
  const byLong = new Map(table.map((s) => [s.long, s]));
  const byShort = new Map(table.flatMap((s) => (s.short ?? []).map((c) => [c, s.long] as const)));
  for (const spec of commands.flatMap((c) => [...c.options, ...(c.ignoredOptions ?? [])])) {
    const known = byLong.get(spec.long);
    if (known) {
      // Commands may describe a shared option in their own words, never make it another option.
      if (known.apply !== spec.apply || optionLabel(known) !== optionLabel(spec)) throw new Error(`--${spec.long} is declared twice, differently`);
      continue;
    }
    for (const c of spec.short ?? []) {
      if (byShort.has(c)) throw new Error(`-${c} is both --${byShort.get(c)} and --${spec.long}`);
      byShort.set(c, spec.long);
    }
    const counted: CommandOption = { ...spec, apply: (target, value) => (given.add(spec.long), spec.apply(target, value)) };
    byLong.set(spec.long, spec);
    table.push(counted);
  }
  return table;
}

/** What a command takes: its options, those it ignores as rdiff does, and the global ones. */
function optionsOf(command: Command): OptionSpec<unknown>[] {
  return [...command.options, ...(command.ignoredOptions ?? []), ...GLOBAL_OPTIONS];
}

function checkCommandOptions(command: Command, given: ReadonlySet<string>, table: readonly CommandOption[]): void {
  const taken = new Set(optionsOf(command).map((s) => s.long));
  for (const long of given) {
    if (taken.has(long)) continue;
    const spec = table.find((s) => s.long === long)!;
    const shown = [...(spec.short ?? []).map((c) => `-${c}`), `--${long}`].join('/');
    throw usageError(`${shown} is not an option of ${command.name}`);
  }
}

/** "unknown option: --exlude (did you mean --exclude?)", among the options of the command when it is known. */
function unknownOption(err: UnknownOptionError, command: Command | undefined, table: readonly CommandOption[]): CliError {
  if (err.word === undefined) return err;
  const candidates = (command ? optionsOf(command) : table).map((s) => s.long);
  return usageError(`${err.message}${didYouMean(err.word, candidates, (long) => `--${long}`)}`);
}

export interface ParsedCommandLine {
  /** Every option's value, defaults for those not given. */
  values: ParsedOptions;
  positionals: string[];
  /** The command the first positional names, if any (for the help a usage error points to). */
  named?: Command;
  /** The first problem the parser found. */
  error?: CliError;
  /** Command options given, by long name. */
  given: ReadonlySet<string>;
  table: readonly CommandOption[];
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const values: ParsedOptions = { ...defaultOptions(), ...defaultCommandValues() };
  const given = new Set<string>();
  const table = optionTable(COMMANDS, given);
  const { positionals, error } = parseArgs(argv, table, values);
  return { values, positionals, named: lookupCommand(COMMANDS, positionals[0]), error, given, table };
}

/**
 * What a parsed command line asks for: a command and its arguments, all
 * checked (help, for --help anywhere), or the version. Throws the usage
 * error the line deserves.
 */
export function chooseCommand(line: ParsedCommandLine): { command: Command; args: readonly string[] } | 'version' {
  const { values, named } = line;
  const [word, ...rest] = line.positionals;
  if (line.error) throw line.error instanceof UnknownOptionError ? unknownOption(line.error, named, line.table) : line.error;
  // --help anywhere: the help of the command named, if any ('help --help' is help's own).
  if (values.help) return { command: helpCommand, args: word === undefined ? [] : named === helpCommand ? [rest[0] ?? 'help'] : [word] };
  if (values.version) return 'version';
  const command = findCommand(COMMANDS, word);
  checkArity(command, rest);
  checkCommandOptions(command, line.given, line.table);
  return { command, args: rest };
}
