// `prune STORE`: removes whole chains by count or age.
import { prune } from '../backup/prune';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { usageError } from './cli-error';
import { DRY_RUN, KEEP_CHAINS, NAME, OLDER_THAN } from './command-options';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';
import { counted } from './plural';

async function runPrune(context: CommandContext): Promise<CommandOutcome> {
  const [store] = context.args;
  const { values } = context;
  if ((values.keepChains === undefined) === (values.olderThan === undefined)) throw usageError('prune needs exactly one of --keep-chains N and --older-than TIME');
  const result = await prune(store, { name: values.name, keepChains: values.keepChains, olderThan: values.olderThan, dryRun: values.dryRun });
  const verb = result.dryRun ? 'would remove' : 'removed';
  const lines = result.removed.map((r) => `${verb} ${r.name}/${r.chain} (${counted(r.backups.length, 'backup')}, ${formatBytes(r.bytes)})`);
  lines.push(`${verb} ${counted(result.removed.length, 'chain')}, ${formatBytes(result.bytesFreed)}; kept ${counted(result.kept.length, 'chain')}`);
  return reportOutcome(context, lines, result);
}

export const pruneCommand = ownCommand({
  name: 'prune',
  synopsis: 'STORE',
  summary: 'Remove whole chains (--keep-chains N | --older-than TIME)',
  description: [
    "Removes whole chains only: a chain's level 0 is the base of all its levels. Give exactly one of --keep-chains and --older-than; " +
      'the newest chain of a name is never removed by age. A prune runs alone: it waits up to 30 s for restores and verifies still reading.',
  ],
  group: BACKUP_COMMANDS,
  options: [describedAs(NAME, 'Only this name', 'every name'), KEEP_CHAINS, OLDER_THAN, DRY_RUN],
  examples: [
    { what: 'Keep the newest 4 chains of each name', line: 'librsync prune /backups --keep-chains 4' },
    { what: 'See which chains last written more than 90 days ago would go', line: 'librsync prune /backups --older-than 90d --dry-run' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; BACKUP_LOCKED (a backup runs, or restores and verifies still read after 30 s)' },
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    { status: '106', meaning: 'BACKUP_CORRUPT: a manifest that cannot be read' },
    { status: '108', meaning: 'RS_PARAM_ERROR: a bad --name, --keep-chains 0, or a bad --older-than TIME' },
  ],
  run: runPrune,
});
