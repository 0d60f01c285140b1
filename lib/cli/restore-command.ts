// `restore STORE TARGET`: one backup (or some paths of it) into TARGET.
import { restore } from '../backup/restore';
import { S3_OPTIONS, storeArgument } from './store-options';
import { PASSWORD_OPTIONS } from './password-options';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { AT, BACKUP, EXIT_WARNINGS, KEEP_GOING, LEVEL, NAME, OVERWRITE, PATH, checkOneBackupChoice } from './command-options';
import { LibrsyncError } from '../errors';
import { runEngine } from './engine-progress';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';
import { counted } from './plural';

async function runRestore(context: CommandContext): Promise<CommandOutcome> {
  const [storeName, target] = context.args;
  const store = storeArgument(storeName, context.values);
  const { values } = context;
  checkOneBackupChoice(values);
  const result = await runEngine(context, 'restore', (common) =>
    restore(store, target, {
      ...common,
      name: values.name,
      level: values.level,
      at: values.at,
      backup: values.backup,
      paths: values.paths,
      overwrite: values.overwrite,
      keepGoing: values.keepGoing,
    }),
  );
  const what = [
    counted(result.files, 'file'),
    counted(result.hardLinks, 'hard link'),
    counted(result.dirs, 'directory'),
    counted(result.symlinks, 'symlink'),
    counted(result.fifos, 'FIFO'),
  ];
  const lines = [
    `restored ${result.name} ${result.chain}/${result.id} (level ${result.level}) into ${target}: ${what.join(', ')}, ` +
      `${formatBytes(result.bytesWritten)}, time ${result.seconds.toFixed(2)} s`,
  ];
  if (result.damagedCount > 0) {
    // --keep-going: everything else is in place; what could not be is damage, and the exit says so.
    for (const d of result.damaged) lines.push(`  NOT RESTORED ${d.code} ${d.path}: ${d.message}`);
    if (!context.options.json) context.reporter.result(lines);
    const error = new LibrsyncError('BACKUP_CORRUPT', `${counted(result.damagedCount, 'file')} not restored: stored data damaged; first: ${result.damaged[0].message}`);
    Object.assign(error, { report: { ...result, damaged: result.damaged } });
    throw error;
  }
  return reportOutcome(context, lines, result, result.warnings.length > 0 ? EXIT_WARNINGS : 0);
}

export const restoreCommand = ownCommand({
  name: 'restore',
  synopsis: 'STORE TARGET',
  summary: 'Restore a backup (default: the newest) into TARGET',
  description: [
    "SOURCE's contents go into TARGET: SOURCE/x comes back as TARGET/x, a single-file SOURCE as TARGET/its-name. Each file is rebuilt in a " +
      'private directory inside TARGET, checked against its SHA-256, given its mode, owner and mtime, then renamed into place: a path appears only ' +
      'complete. The manifest is checked whole before anything is written.',
    'The backup is the newest one, or the one --backup, --level or --at picks (one of them). A non-empty TARGET is refused unless --overwrite; ' +
      'other files in TARGET are left alone.',
  ],
  group: BACKUP_COMMANDS,
  options: [
    describedAs(NAME, 'Backup name', 'the only name in STORE'),
    BACKUP,
    LEVEL,
    AT,
    PATH,
    OVERWRITE,
    KEEP_GOING,
    ...S3_OPTIONS,
    ...PASSWORD_OPTIONS,
  ],
  examples: [
    { what: 'The newest backup into an empty directory', line: 'librsync restore /backups /tmp/restored' },
    { what: 'One backup, by the ID list shows', line: 'librsync restore /backups /tmp/restored --backup chain-000002/000001-L1' },
    { what: 'One file as it was on 20 November, over an earlier restore', line: 'librsync restore /backups /tmp/restored --at 2026-11-20 --path etc/hosts --overwrite' },
    { what: 'Everything that can be restored from a damaged store, listing the rest', line: 'librsync restore /backups /tmp/restored --keep-going' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '2', meaning: 'done, with warnings: a FIFO that could not be made, an owner or time that could not be set' },
    { status: '100', meaning: 'I/O error (including a full disk); BACKUP_NOT_FOUND (no such backup or --path); BACKUP_LOCKED (a prune runs); TARGET_NOT_EMPTY' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    {
      status: '106',
      meaning:
        'BACKUP_CORRUPT, BACKUP_OBJECT_MISSING, BACKUP_CHAIN_BROKEN: the backup is damaged (the message names the file and the backup); with --keep-going, the files not restored are listed',
    },
    EXIT_HELP.internal,
    { status: '108', meaning: 'RS_PARAM_ERROR (a bad --name, --at or --path); BACKUP_NAME_REQUIRED (a store of several names)' },
    { status: '130/143', meaning: 'interrupted by SIGINT / SIGTERM: only complete files are in place; the next restore removes the leftovers' },
  ],
  run: runRestore,
});
