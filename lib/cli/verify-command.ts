// `verify STORE`: chains whole, manifests and every stored piece intact;
// --against SOURCE also lists live files that differ. Exit 0 when all is
// well, EXIT_DIFFERENCES when only live files differ, the BACKUP_CORRUPT
// status (106) when the store is damaged.
import { LibrsyncError } from '../errors';
import { verify } from '../backup/verify';
import { Command, CommandContext, CommandOutcome } from './command';
import { AGAINST, EXIT_DIFFERENCES, LEVEL, NAME } from './command-options';
import { backendOption, engineProgress } from './engine-progress';
import { formatBytes } from './human-units';

async function runVerify(context: CommandContext): Promise<CommandOutcome> {
  const [store] = context.args;
  const { values, reporter } = context;
  const progress = engineProgress(context, 'verify');
  let result;
  try {
    result = await verify(store, { name: values.name, level: values.level, against: values.against, backend: backendOption(context), signal: context.signal });
  } finally {
    progress.finish();
  }
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
  reporter.result(lines);
  return { summary: { ...result }, statistics: [], exitCode: result.differenceCount ? EXIT_DIFFERENCES : 0 };
}

export const verifyCommand: Command = {
  name: 'verify',
  synopsis: 'STORE',
  description: 'Check chains and stored data (--against SOURCE: compare with live files)',
  acceptsPrefix: false,
  minArgs: 1,
  maxArgs: 1,
  options: [NAME, LEVEL, AGAINST],
  run: runVerify,
};
