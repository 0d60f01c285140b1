// `verify STORE`: chains whole, manifests and every stored piece intact;
// --against SOURCE also lists live files that differ. Exit 0 when all is
// well, EXIT_DIFFERENCES when only live files differ, the BACKUP_CORRUPT
// status (106) when the store is damaged.
import { LibrsyncError } from '../errors';
import { S3_OPTIONS, storeArgument } from './store-options';
import { PASSWORD_OPTIONS } from './password-options';
import { VerifyProblem, verify } from '../backup/verify';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { AGAINST, BACKUP, EXIT_DIFFERENCES, LEVEL, NAME, checkOneBackupChoice } from './command-options';
import { runEngine } from './engine-progress';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';
import { counted } from './plural';

/** Where a problem is: the name, and the chain and backup (ids repeat in every chain), or the chain alone. */
function problemPlace(p: VerifyProblem): string {
  return `${p.name} ${p.backup === p.chain ? p.chain : `${p.chain}/${p.backup}`}`;
}

async function runVerify(context: CommandContext): Promise<CommandOutcome> {
  const [storeName] = context.args;
  const store = storeArgument(storeName, context.values);
  const { values, reporter } = context;
  checkOneBackupChoice(values);
  const result = await runEngine(context, 'verify', (common) =>
    verify(store, { ...common, name: values.name, level: values.level, backup: values.backup, against: values.against }),
  );
  const lines = [`verified ${counted(result.backups.length, 'backup')}: ${counted(result.piecesChecked, 'stored piece')}, ${formatBytes(result.bytesChecked)}`];
  for (const p of result.problems) lines.push(`  PROBLEM ${p.code} ${problemPlace(p)}: ${p.message}`);
  for (const d of result.differences ?? []) lines.push(`  ${d.change} ${d.path}${d.fields ? ` (${d.fields.join(', ')})` : ''}`);
  if (result.differenceCount !== undefined) {
    lines.push(`${counted(result.differenceCount, 'live path')} ${result.differenceCount === 1 ? 'differs' : 'differ'} from the backup`);
  }
  if (!result.ok) {
    if (!context.options.json) reporter.result(lines);
    const first = result.problems[0];
    const where = first ? `; first: ${problemPlace(first)}: ${first.message}` : '';
    const error = new LibrsyncError('BACKUP_CORRUPT', `verify found ${counted(result.problems.length, 'problem')}${where}`);
    Object.assign(error, { report: { problems: result.problems } });
    throw error;
  }
  return reportOutcome(context, lines, result, result.differenceCount ? EXIT_DIFFERENCES : 0);
}

export const verifyCommand = ownCommand({
  name: 'verify',
  synopsis: 'STORE',
  summary: 'Check chains and stored data (--against SOURCE: compare with live files)',
  description: [
    "Checks every backup (or one backup and its bases): the chain's order, each manifest's digest and the rules restore applies, and every " +
      'stored piece present and matching its SHA-256, each read once. Each problem is listed with the name, chain and backup it is in.',
    '--against SOURCE also compares the live files with the newest backup (or the one --backup or --level picks) by type, mode, owner, ' +
      'mtime (ns), size, symlink target and content, and lists what was added, deleted or modified.',
  ],
  group: BACKUP_COMMANDS,
  options: [
    describedAs(NAME, 'Only this name', 'every name'),
    describedAs(BACKUP, 'Only that backup (as list shows it: chain-000002/000001-L1) and its bases'),
    describedAs(LEVEL, 'Only the newest backup at level N and its bases'),
    AGAINST,
    ...S3_OPTIONS,
    ...PASSWORD_OPTIONS,
  ],
  examples: [
    { what: 'Every backup in /backups', line: 'librsync verify /backups' },
    { what: 'One backup and the levels it is built on', line: 'librsync verify /backups --backup chain-000002/000001-L1' },
    { what: 'Also list what changed in /srv/data since its newest backup', line: 'librsync verify /backups --against /srv/data' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '1', meaning: 'live files differ from the backup (--against); the store itself is fine' },
    { status: '100', meaning: 'I/O error; BACKUP_NOT_FOUND; BACKUP_LOCKED (a prune runs)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '106', meaning: 'damage found (BACKUP_CORRUPT, BACKUP_OBJECT_MISSING, BACKUP_CHAIN_BROKEN): each problem is listed' },
    EXIT_HELP.internal,
    { status: '108', meaning: 'RS_PARAM_ERROR (a bad --name); BACKUP_NAME_REQUIRED (--against or --backup in a store of several names)' },
    EXIT_HELP.interrupted,
  ],
  run: runVerify,
});
