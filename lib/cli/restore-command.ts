// `restore STORE TARGET`: one backup (or some paths of it) into TARGET.
import { restore, RestoreResult } from '../backup/restore';
import { Command, CommandContext, CommandOutcome } from './command';
import { AT, EXIT_WARNINGS, LEVEL, NAME, OVERWRITE, PATH } from './command-options';
import { usageError } from './cli-error';
import { backendOption, engineProgress } from './engine-progress';
import { formatBytes } from './human-units';

async function runRestore(context: CommandContext): Promise<CommandOutcome> {
  const [store, target] = context.args;
  const { values, reporter } = context;
  if (values.level !== undefined && values.at !== undefined) throw usageError('choose --level or --at, not both');
  const progress = engineProgress(context, 'restore');
  let result: RestoreResult;
  try {
    result = await restore(store, target, {
      name: values.name,
      level: values.level,
      at: values.at,
      paths: values.paths,
      overwrite: values.overwrite,
      backend: backendOption(context),
      signal: context.signal,
      onProgress: progress.onProgress,
      onWarning: (w) => reporter.warning(`${w.path || '.'}: ${w.message}`),
    });
  } finally {
    progress.finish();
  }
  reporter.result([
    `restored ${result.name} ${result.chain}/${result.id} (level ${result.level}) into ${target}: ${result.files} files, ${result.hardLinks} hard links, ` +
      `${result.dirs} directories, ${result.symlinks} symlinks, ${result.fifos} FIFOs, ${formatBytes(result.bytesWritten)}, time ${result.seconds.toFixed(2)} s`,
  ]);
  return { summary: { ...result }, statistics: [], exitCode: result.warnings.length > 0 ? EXIT_WARNINGS : 0 };
}

export const restoreCommand: Command = {
  name: 'restore',
  synopsis: 'STORE TARGET',
  description: 'Restore a backup (default: the newest) into TARGET',
  acceptsPrefix: false,
  minArgs: 2,
  maxArgs: 2,
  options: [NAME, LEVEL, AT, PATH, OVERWRITE],
  run: runRestore,
};
