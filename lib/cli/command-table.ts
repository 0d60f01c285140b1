// Every subcommand, in the order --help lists them: rdiff's three, then
// the backup commands.
import { usageError } from './cli-error';
import { backupCommand } from './backup-command';
import { Command } from './command';
import { listCommand } from './list-command';
import { pruneCommand } from './prune-command';
import { restoreCommand } from './restore-command';
import { verifyCommand } from './verify-command';
import { deltaCommand } from './delta-command';
import { patchCommand } from './patch-command';
import { signatureCommand } from './signature-command';

export const COMMANDS: readonly Command[] = [
  signatureCommand,
  deltaCommand,
  patchCommand,
  backupCommand,
  restoreCommand,
  listCommand,
  verifyCommand,
  pruneCommand,
];

const RDIFF_ACTIONS = "`signature', `delta', or `patch'";

/** The command named by `word`: an exact name, or a prefix as rdiff allows. */
export function findCommand(word: string | undefined): Command {
  if (word === undefined) throw usageError(`you must specify an action: ${RDIFF_ACTIONS}`);
  const exact = COMMANDS.find((c) => c.name === word);
  if (exact) return exact;
  const byPrefix = word ? COMMANDS.filter((c) => c.acceptsPrefix && c.name.startsWith(word)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  throw usageError(`unknown action '${word}': you must specify an action: ${RDIFF_ACTIONS}`);
}

/** rdiff's arity checks: too few prints the command's usage, too many says so. */
export function checkArity(command: Command, args: readonly string[]): void {
  if (args.length < command.minArgs) throw usageError(`usage for ${command.name}: ${commandUsage(command)}`);
  if (args.length > command.maxArgs) throw usageError(`too many arguments for ${command.name}`);
}

export function commandUsage(command: Command): string {
  return `librsync [OPTIONS] ${command.name} ${command.synopsis}`;
}
