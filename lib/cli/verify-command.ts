// `verify STORE`: chains whole, manifests and every stored piece intact;
// --against SOURCE also lists live files that differ. Exit 0 when all is
// well, EXIT_DIFFERENCES when only live files differ, the BACKUP_CORRUPT
// status (106) when the store is damaged.
import { LibrsyncError } from '../errors';
import { verify } from '../backup/verify';
import { CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { AGAINST, EXIT_DIFFERENCES, LEVEL, NAME } from './command-options';
import { runEngine } from './engine-progress';
import { formatBytes } from './human-units';

async function runVerify(context: CommandContext): Promise<CommandOutcome> {
  const [store] = context.args;
  const { values, reporter } = context;
  const result = await runEngine(context, 'verify', (common) => verify(store, { ...common, name: values.name, level: values.level, against: values.against }));
  const lines = [`verified ${result.backups.length} backups: ${result.piecesChecked} stored pieces, ${formatBytes(result.bytesChecked)}`];
  for (const p of result.problems) lines.push(`  PROBLEM ${p.code} ${p.backup}: ${p.message}`);
  for (const d of result.differences ?? []) lines.push(`  ${d.change} ${d.path}${d.fields ? ` (${d.fields.join(', ')})` : ''}`);
  if (result.differenceCount !== undefined) lines.push(`${result.differenceCount} live paths differ from the backup`);
  if (!result.ok) {
    if (!context.options.json) reporter.result(lines);
    const first = result.problems[0];
    const error = new LibrsyncError('BACKUP_CORRUPT', `verify found ${result.problems.length} problems; first: ${first?.message}`);
    Object.assign(error, { problems: result.problems });
    throw error;
  }
  return reportOutcome(context, lines, result, result.differenceCount ? EXIT_DIFFERENCES : 0);
}

export const verifyCommand = ownCommand('verify', 'STORE', 'Check chains and stored data (--against SOURCE: compare with live files)', [NAME, LEVEL, AGAINST], runVerify);
