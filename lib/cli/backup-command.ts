// `backup SOURCE STORE`: one new level of SOURCE in STORE.
import { backup, BackupResult } from '../backup/backup';
import { S3_OPTIONS, storeArgument } from './store-options';
import { ENCRYPT, PASSWORD_OPTIONS, askForNewStorePassword } from './password-options';
import { BLOCK_SIZE } from './cli-options';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import {
  ALWAYS_LEVEL,
  COMPRESSION,
  EXCLUDE,
  EXCLUDE_CACHES,
  EXCLUDE_FILE,
  EXCLUDE_IF_PRESENT,
  EXIT_WARNINGS,
  LEVEL,
  MAX_LEVEL,
  NAME,
  ONE_FILE_SYSTEM,
  RESTART_AFTER,
} from './command-options';
import { readExcludeFile } from './exclude-file';
import { runEngine } from './engine-progress';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';
import { counted } from './plural';

/**
 * What the backup added to the store, under the same names in the text
 * and in the JSON: `packBytes` (data and signature packs, as its manifest
 * records them: also counts.bytesStored), `manifestBytes`, and
 * `storedBytes`, their sum (list reports the same three).
 */
export function storedSizes(r: BackupResult): { packBytes: number; manifestBytes: number; storedBytes: number } {
  return { packBytes: r.counts.bytesStored, manifestBytes: r.manifestBytes, storedBytes: r.counts.bytesStored + r.manifestBytes };
}

export function backupSummary(r: BackupResult): string[] {
  const c = r.counts;
  const sizes = storedSizes(r);
  return [
    `backup ${r.name} ${r.chain}/${r.id}: level ${r.level}${r.parent ? ` against ${r.chain}/${r.parent}` : ''}${r.newChain ? ` (new chain: ${r.newChain})` : ''}`,
    `  files read ${c.filesRead}, unchanged ${c.filesUnchanged}, entries ${c.entries} (${c.deleted} deleted), bytes read ${c.bytesRead} (${formatBytes(c.bytesRead)}), time ${r.seconds.toFixed(2)} s` +
      (c.warnings ? `, ${counted(c.warnings, 'warning')}` : ''),
    `  stored ${sizes.storedBytes} (${formatBytes(sizes.storedBytes)}): packs ${sizes.packBytes}, manifest ${sizes.manifestBytes}`,
  ];
}

async function runBackup(context: CommandContext): Promise<CommandOutcome> {
  const [source, storeName] = context.args;
  if (context.values.password.encrypt) await askForNewStorePassword(context.values, context.io);
  const store = storeArgument(storeName, context.values);
  const { values, options } = context;
  const fromFiles: string[] = [];
  for (const file of values.excludeFiles) fromFiles.push(...(await readExcludeFile(file)));
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
      exclude: [...values.exclude, ...fromFiles],
      excludeIfPresent: values.excludeIfPresent,
      oneFileSystem: values.oneFileSystem,
      compression: values.compression,
    }),
  );
  return reportOutcome(context, backupSummary(result), { ...result, ...storedSizes(result) }, result.counts.warnings > 0 ? EXIT_WARNINGS : 0);
}

export const backupCommand = ownCommand({
  name: 'backup',
  synopsis: 'SOURCE STORE',
  summary: 'Back up SOURCE (a directory or a file) into STORE as a new level',
  description: [
    'Level 0 stores every file whole, with its block signature; each later level stores, for each changed file, an rsync delta against the ' +
      "previous level's signature of it. A file whose type, size, mtime, ctime, inode and mode are unchanged is not read. STORE is a local directory, " +
      'created on first use. Only one backup runs in a STORE at a time. ' +
      'Stored data, deltas and signatures are compressed with zstd where that shrinks them (--compression); any mix reads back the same.',
    "Without --level, a backup is level 0 when NAME has no chain yet, else the next level of its newest chain. A block size other than the chain's, " +
      'or a SOURCE that changed from a directory to a file or back, starts a new chain; the summary says why.',
    'The summary gives files read and unchanged, entries, bytes read, and what the backup stored: its packs (data and signatures) and its manifest. ' +
      'With --json: counts.bytesRead, packBytes, manifestBytes and storedBytes (their sum), as list reports them.',
  ],
  group: BACKUP_COMMANDS,
  options: [
    describedAs(NAME, 'Backup name', "SOURCE's base name and 8 hex digits of the SHA-256 of its absolute path"),
    describedAs(LEVEL, 'Make this level: 0 starts a new chain; N adds a level N against the newest level N-1', 'the next level of the newest chain, 0 if none'),
    MAX_LEVEL,
    ALWAYS_LEVEL,
    RESTART_AFTER,
    describedAs(BLOCK_SIZE, 'Block size of a new chain; a different one starts a new chain', "65536; later levels: the chain's own"),
    EXCLUDE,
    EXCLUDE_FILE,
    EXCLUDE_IF_PRESENT,
    EXCLUDE_CACHES,
    ONE_FILE_SYSTEM,
    COMPRESSION,
    ...S3_OPTIONS,
    ENCRYPT,
    ...PASSWORD_OPTIONS,
  ],
  examples: [
    { what: 'The next level of /srv/data (level 0 the first time)', line: 'librsync backup /srv/data /backups' },
    { what: 'Start a new chain after level 6, leaving out temporary files', line: "librsync backup /srv/data /backups --max-level 6 --exclude '*.tmp'" },
    { what: 'Start a new chain now, with a JSON summary', line: 'librsync backup /srv/data /backups --level 0 --json' },
    { what: 'The root file system alone, without caches or directories marked .nobackup', line: 'librsync backup / /mnt/backups --one-file-system --exclude-caches --exclude-if-present .nobackup' },
    { what: 'Exclude patterns kept in a file', line: 'librsync backup /home /backups --exclude-file /etc/librsync/excludes' },
    { what: 'Into a new encrypted store, the passphrase read from a file', line: 'librsync backup /srv/data /backups --encrypt --password-file /etc/librsync/passphrase' },
    { what: 'The smallest store, for text that changes little', line: 'librsync backup /srv/docs /backups --compression max' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '2', meaning: 'done, with warnings: a socket or device skipped, a file that could not be read or kept changing' },
    { status: '100', meaning: 'I/O error (including a full disk: nothing is committed); BACKUP_LOCKED; BACKUP_NOT_FOUND (--level N with no level N-1)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '106', meaning: 'BACKUP_CHAIN_BROKEN: the chain to extend is damaged (start a new one with --level 0)' },
    EXIT_HELP.internal,
    { status: '108', meaning: 'RS_PARAM_ERROR (a bad --name or -b), BACKUP_SOURCE_UNSUPPORTED (SOURCE is neither a directory nor a file)' },
    { status: '130/143', meaning: 'interrupted by SIGINT / SIGTERM: nothing committed; the next backup removes the leftovers' },
  ],
  run: runBackup,
});
