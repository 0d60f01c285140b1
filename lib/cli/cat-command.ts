// `cat STORE PATH`: one file of a backup on stdout, without restoring.
import { cat } from '../backup/cat';
import { S3_OPTIONS, storeArgument } from './store-options';
import { PASSWORD_OPTIONS } from './password-options';
import { parseTime } from '../backup/time-spec';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand } from './command';
import { AT, BACKUP, LEVEL, NAME, checkOneBackupChoice } from './command-options';
import { EXIT_HELP } from './exit-statuses';
import { describedAs } from './option-spec';

async function runCat(context: CommandContext): Promise<CommandOutcome> {
  const [storeName, path] = context.args;
  const store = storeArgument(storeName, context.values);
  const { values, io } = context;
  checkOneBackupChoice(values);
  const result = await cat(store, path, io.stdout, {
    name: values.name,
    level: values.level,
    at: values.at === undefined ? undefined : parseTime(values.at),
    backup: values.backup,
    backend: context.options.backend,
    signal: context.signal,
    onWarning: (w) => context.reporter.warning(`${w.path || '.'}: ${w.message}`),
  });
  // The data went to stdout: nothing else may (a --json summary goes to stderr).
  return { summary: { ...result }, statistics: [] };
}

export const catCommand = ownCommand({
  name: 'cat',
  synopsis: 'STORE PATH',
  summary: 'Write one file of a backup to stdout, without restoring',
  description: [
    'PATH is relative to SOURCE (as restore --path takes it). The file is rebuilt as restore does, from its level 0 through its deltas, each ' +
      'stored piece checked against its SHA-256 and the whole file at the end; the manifest is checked whole before a byte goes out. If the stored ' +
      'data is damaged, cat stops with exit 106 after the bytes that came before the damage: do not use what it wrote then.',
    'The backup is the newest one, or the one --backup, --level or --at picks. With --json the summary (size, SHA-256, backup) goes to stderr.',
  ],
  group: BACKUP_COMMANDS,
  outputArg: 2,
  options: [describedAs(NAME, 'Backup name', 'the only name in STORE'), BACKUP, LEVEL, AT, ...S3_OPTIONS, ...PASSWORD_OPTIONS],
  examples: [
    { what: 'A file as the newest backup has it', line: 'librsync cat /backups etc/hosts' },
    { what: 'As it was on 20 November, into a file', line: 'librsync cat /backups var/lib/app/db.sqlite --at 2026-11-20 > db.sqlite' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; BACKUP_NOT_FOUND (no such backup, or PATH is not in it); BACKUP_LOCKED (a prune runs)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '106', meaning: 'BACKUP_CORRUPT, BACKUP_OBJECT_MISSING, BACKUP_CHAIN_BROKEN: the stored file is damaged (what was written is not the file)' },
    EXIT_HELP.internal,
    { status: '108', meaning: "RS_PARAM_ERROR: PATH is a directory, a symlink or a FIFO in the backup, or leaves SOURCE ('..')" },
    { status: '141', meaning: 'stdout was closed early (a pager or head that quit): quietly' },
  ],
  run: runCat,
});
