// `prune STORE`: removes what a retention policy does not keep: whole
// chains, and the newest levels of a chain that no kept backup builds on.
import { prune, PruneResult } from '../backup/prune';
import { S3_OPTIONS, storeArgument } from './store-options';
import { PASSWORD_OPTIONS } from './password-options';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { usageError } from './cli-error';
import {
  DRY_RUN,
  KEEP_CHAINS,
  KEEP_DAILY,
  KEEP_HOURLY,
  KEEP_LAST,
  KEEP_MONTHLY,
  KEEP_WEEKLY,
  KEEP_WITHIN,
  KEEP_YEARLY,
  NAME,
  OLDER_THAN,
} from './command-options';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';
import { counted } from './plural';

/** One line a backup: kept (and why) or removed; the newest first, as restic's forget shows them. */
function decisionLines(result: PruneResult): string[] {
  return result.decisions.map((d) => `  ${d.keep ? 'keep  ' : 'remove'} ${d.name} ${d.chain}/${d.id}  ${d.started}${d.keep ? `  (${d.reasons.join('; ')})` : ''}`);
}

async function runPrune(context: CommandContext): Promise<CommandOutcome> {
  const [storeName] = context.args;
  const store = storeArgument(storeName, context.values);
  const { values } = context;
  const byBackup = [values.keepLast, values.keepHourly, values.keepDaily, values.keepWeekly, values.keepMonthly, values.keepYearly, values.keepWithin].some((v) => v !== undefined);
  const byChain = [values.keepChains, values.olderThan].filter((v) => v !== undefined).length;
  if (byBackup ? byChain > 0 : byChain !== 1) {
    throw usageError('prune needs a policy: any of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within; or one of --keep-chains, --older-than');
  }
  const result = await prune(store, {
    name: values.name,
    keepLast: values.keepLast,
    keepHourly: values.keepHourly,
    keepDaily: values.keepDaily,
    keepWeekly: values.keepWeekly,
    keepMonthly: values.keepMonthly,
    keepYearly: values.keepYearly,
    keepWithin: values.keepWithin,
    keepChains: values.keepChains,
    olderThan: values.olderThan,
    dryRun: values.dryRun,
  });
  const verb = result.dryRun ? 'would remove' : 'removed';
  const lines = result.dryRun || context.options.verbose ? decisionLines(result) : [];
  for (const r of result.removed) {
    const what = r.whole ? `${r.name} ${r.chain}` : `the newest ${counted(r.backups.length, 'level')} of ${r.name} ${r.chain} (${r.backups.map((b) => `${r.chain}/${b}`).join(', ')})`;
    lines.push(`${verb} ${what}: ${counted(r.backups.length, 'backup')}, ${formatBytes(r.bytes)}`);
  }
  const backups = result.removed.reduce((n, r) => n + r.backups.length, 0);
  lines.push(`${verb} ${counted(backups, 'backup')} (${counted(result.removed.filter((r) => r.whole).length, 'whole chain')}), ${formatBytes(result.bytesFreed)}; kept ${counted(result.decisions.filter((d) => d.keep).length, 'backup')}`);
  return reportOutcome(context, lines, result);
}

export const pruneCommand = ownCommand({
  name: 'prune',
  synopsis: 'STORE',
  summary: 'Remove the backups a retention policy does not keep',
  description: [
    'A policy by backup, as restic\'s forget: --keep-last N keeps the N newest; --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly and ' +
      '--keep-yearly N keep, for each of the last N hours (days, ISO weeks, months, years, in local time) that have backups, the newest of that ' +
      'period; --keep-within TIME keeps every backup taken since. A backup any of them keeps stays. Or a policy by chain: --keep-chains N keeps ' +
      'the newest N chains; --older-than TIME removes chains whose newest backup was committed before TIME, never the newest chain.',
    'Levels build on each other, so every base a kept backup needs stays too, and so does every level before the newest kept one in its chain. ' +
      'A prune therefore removes whole chains and the newest levels of a chain that nothing kept builds on; never a level in the middle of a ' +
      'chain. --dry-run (or -v) lists every backup with what happens to it and why.',
    'A prune runs alone: no backup meanwhile, and it waits up to 30 s for restores and verifies still reading.',
  ],
  group: BACKUP_COMMANDS,
  options: [
    describedAs(NAME, 'Only this name', 'every name'),
    KEEP_LAST,
    KEEP_HOURLY,
    KEEP_DAILY,
    KEEP_WEEKLY,
    KEEP_MONTHLY,
    KEEP_YEARLY,
    KEEP_WITHIN,
    KEEP_CHAINS,
    OLDER_THAN,
    DRY_RUN,
    ...S3_OPTIONS,
    ...PASSWORD_OPTIONS,
  ],
  examples: [
    { what: 'Keep 7 daily, 5 weekly and 12 monthly backups, and see why each stays or goes', line: 'librsync prune /backups --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run' },
    { what: 'Keep the newest 4 chains of each name', line: 'librsync prune /backups --keep-chains 4' },
    { what: 'Remove chains last written more than 90 days ago', line: 'librsync prune /backups --older-than 90d' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; BACKUP_NOT_FOUND (no such --name); BACKUP_LOCKED (a backup runs, or restores and verifies still read after 30 s)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '106', meaning: 'BACKUP_CORRUPT: a manifest that cannot be read' },
    { status: '108', meaning: 'RS_PARAM_ERROR: a bad --name, a count of 0, or a bad TIME' },
  ],
  run: runPrune,
});
