// `backup SOURCE STORE`: one new level of SOURCE in STORE.
import { backup, BackupResult } from '../backup/backup';
import { CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { ALWAYS_LEVEL, EXCLUDE, EXIT_WARNINGS, LEVEL, MAX_LEVEL, NAME, RESTART_AFTER } from './command-options';
import { runEngine } from './engine-progress';
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
  const { values, options } = context;
  const result = await runEngine(context, 'backup', (common) =>
    backup(source, store, {
      ...common,
      name: values.name,
      level: values.level,
      maxLevel: values.maxLevel,
      alwaysLevel: values.alwaysLevel,
      restartAfterDays: values.restartAfterDays,
      // -b / --block-size is the shared option; 0 (unset) means the chain's own.
      blockSize: options.blockLength === 0 ? undefined : options.blockLength,
      exclude: values.exclude,
    }),
  );
  return reportOutcome(context, backupSummary(result), result, result.counts.warnings > 0 ? EXIT_WARNINGS : 0);
}

export const backupCommand = ownCommand('backup', 'SOURCE STORE', 'Back up SOURCE (a directory or a file) into STORE as a new level', [NAME, LEVEL, MAX_LEVEL, ALWAYS_LEVEL, RESTART_AFTER, EXCLUDE], runBackup);
