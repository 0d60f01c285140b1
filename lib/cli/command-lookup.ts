// Finding the command a word names (a whole name, or for rdiff's actions
// any prefix, as rdiff allows), with a suggestion for a mistyped one, and
// rdiff's checks of how many arguments it got.
import { usageError } from './cli-error';
import { Command } from './command';
import { commandUsage } from './help-text';
import { didYouMean } from './nearest-names';

/** "signature, delta, ... or help". */
function nameList(commands: readonly Command[]): string {
  const names = commands.map((c) => c.name);
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The command named by `word`, an exact name or a prefix as rdiff allows, if any. */
export function lookupCommand(commands: readonly Command[], word: string | undefined): Command | undefined {
  if (word === undefined) return undefined;
  const exact = commands.find((c) => c.name === word);
  if (exact) return exact;
  const byPrefix = word ? commands.filter((c) => c.acceptsPrefix && c.name.startsWith(word)) : [];
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/** The command named by `word`; a usage error listing every command (and the nearest one) if there is none. */
export function findCommand(commands: readonly Command[], word: string | undefined): Command {
  if (word === undefined) throw usageError(`you must specify a command: ${nameList(commands)}`);
  const found = lookupCommand(commands, word);
  if (found) return found;
  const suggestion = didYouMean(word, commands.map((c) => c.name));
  throw usageError(`unknown command '${word}'${suggestion}; the commands are ${nameList(commands)}`);
}

/** rdiff's arity checks: too few prints the command's usage, too many says so. */
export function checkArity(command: Command, args: readonly string[]): void {
  if (args.length < command.minArgs) throw usageError(`usage for ${command.name}: ${commandUsage(command)}`);
  if (args.length > command.maxArgs) throw usageError(`too many arguments for ${command.name}: ${commandUsage(command)}`);
}
