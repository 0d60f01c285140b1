// `restore STORE TARGET`: one backup (or some paths of it) into TARGET.
import { restore } from '../backup/restore';
import { CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { AT, EXIT_WARNINGS, LEVEL, NAME, OVERWRITE, PATH } from './command-options';
import { usageError } from './cli-error';
import { runEngine } from './engine-progress';
import { formatBytes } from './human-units';

async function runRestore(context: CommandContext): Promise<CommandOutcome> {
  const [store, target] = context.args;
  const { values } = context;
  if (values.level !== undefined && values.at !== undefined) throw usageError('choose --level or --at, not both');
  const result = await runEngine(context, 'restore', (common) =>
    restore(store, target, { ...common, name: values.name, level: values.level, at: values.at, paths: values.paths, overwrite: values.overwrite }),
  );
  const lines = [
    `restored ${result.name} ${result.chain}/${result.id} (level ${result.level}) into ${target}: ${result.files} files, ${result.hardLinks} hard links, ` +
      `${result.dirs} directories, ${result.symlinks} symlinks, ${result.fifos} FIFOs, ${formatBytes(result.bytesWritten)}, time ${result.seconds.toFixed(2)} s`,
  ];
  return reportOutcome(context, lines, result, result.warnings.length > 0 ? EXIT_WARNINGS : 0);
}

export const restoreCommand = ownCommand('restore', 'STORE TARGET', 'Restore a backup (default: the newest) into TARGET', [NAME, LEVEL, AT, PATH, OVERWRITE], runRestore);
