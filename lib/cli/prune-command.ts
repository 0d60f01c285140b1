// `prune STORE`: removes whole chains by count or age.
import { prune } from '../backup/prune';
import { CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { usageError } from './cli-error';
import { DRY_RUN, KEEP_CHAINS, NAME, OLDER_THAN } from './command-options';
import { formatBytes } from './human-units';

async function runPrune(context: CommandContext): Promise<CommandOutcome> {
  const [store] = context.args;
  const { values } = context;
  if ((values.keepChains === undefined) === (values.olderThan === undefined)) throw usageError('prune needs exactly one of --keep-chains N and --older-than TIME');
  const result = await prune(store, { name: values.name, keepChains: values.keepChains, olderThan: values.olderThan, dryRun: values.dryRun });
  const verb = result.dryRun ? 'would remove' : 'removed';
  const lines = result.removed.map((r) => `${verb} ${r.name}/${r.chain} (${r.backups.length} backups, ${formatBytes(r.bytes)})`);
  lines.push(`${verb} ${result.removed.length} chains, ${formatBytes(result.bytesFreed)}; kept ${result.kept.length}`);
  return reportOutcome(context, lines, result);
}

export const pruneCommand = ownCommand('prune', 'STORE', 'Remove whole chains (--keep-chains N | --older-than TIME)', [NAME, KEEP_CHAINS, OLDER_THAN, DRY_RUN], runPrune);
