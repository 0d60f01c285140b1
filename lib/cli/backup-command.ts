// `backup SOURCE STORE`: one new level of SOURCE in STORE.
import { backup, BackupResult } from '../backup/backup';
import { Command, CommandContext, CommandOutcome } from './command';
import { ALWAYS_LEVEL, EXCLUDE, EXIT_WARNINGS, LEVEL, MAX_LEVEL, NAME, RESTART_AFTER } from './command-options';
import { backendOption, engineProgress } from './engine-progress';
import { formatBytes } from './human-units';

export function backupSummary(r: BackupResult): string[] {
  const c = r.counts;
  return [
    `backup ${r.name} ${r.chain}/${r.id}: level ${r.level}${r.parent ? ` against ${r.parent}` : ''}${r.newChain ? ` (new chain: ${r.newChain})` : ''}`,
    `  files read ${c.filesRead}, unchanged ${c.filesUnchanged}, entries ${c.entries} (${c.deleted} deleted), bytes read ${c.bytesRead} (${formatBytes(c.bytesRead)}), ` +
      `bytes stored ${c.bytesStored + r.manifestBytes} (${formatBytes(c.bytesStored + r.manifestBytes)}), time ${r.seconds.toFixed(2)} s` +
      (c.warnings ? `, ${c.warnings} warnings` : ''),
  ];
}

async function runBackup(context: CommandContext): Promise<CommandOutcome> {
  const [source, store] = context.args;
  const { values, options, reporter } = context;
  const progress = engineProgress(context, 'backup');
  let result: BackupResult;
  try {
    result = await backup(source, store, {
      name: values.name,
      level: values.level,
      maxLevel: values.maxLevel,
      alwaysLevel: values.alwaysLevel,
      restartAfterDays: values.restartAfterDays,
      // -b / --block-size is the shared option; 0 (unset) means the chain's own.
      blockSize: options.blockLength === 0 ? undefined : options.blockLength,
      exclude: values.exclude,
      backend: backendOption(context),
      signal: context.signal,
      onProgress: progress.onProgress,
      onWarning: (w) => reporter.warning(`${w.path || '.'}: ${w.message}`),
    });
  } finally {
    progress.finish();
  }
  reporter.result(backupSummary(result));
  return { summary: { ...result }, statistics: [], exitCode: result.counts.warnings > 0 ? EXIT_WARNINGS : 0 };
}

export const backupCommand: Command = {
  name: 'backup',
  synopsis: 'SOURCE STORE',
  description: 'Back up SOURCE (a directory or a file) into STORE as a new level',
  acceptsPrefix: false,
  minArgs: 2,
  maxArgs: 2,
  options: [NAME, LEVEL, MAX_LEVEL, ALWAYS_LEVEL, RESTART_AFTER, EXCLUDE],
  run: runBackup,
};
