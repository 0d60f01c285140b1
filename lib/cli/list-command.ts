// `list STORE`: chains, backups (by the ID --backup takes), levels, times,
// file counts and stored bytes; with --files, the entries of one backup
// (streamed; with --json one JSON object per entry, then the summary).
import { list, listFiles } from '../backup/list';
import { S3_OPTIONS, storeArgument } from './store-options';
import { PASSWORD_OPTIONS } from './password-options';
import { drained } from '../backup/stream-waits';
import { ManifestEntry } from '../backup/manifest';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { usageError } from './cli-error';
import { BACKUP, FILES, LEVEL, NAME, checkOneBackupChoice } from './command-options';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';
import { counted } from './plural';

/** Nanoseconds since the epoch as ISO 8601 with all nine digits. */
export function isoNanoseconds(ns: string): string {
  const value = BigInt(ns);
  const ms = value / 1_000_000n;
  const fraction = ((value % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, `.${fraction.toString().padStart(9, '0')}Z`);
}

function fileLine(e: ManifestEntry): string {
  if (e.type === 'deleted') return `deleted ${' '.repeat(4)} ${''.padStart(12)} ${''.padEnd(30)} ${e.path}`;
  const mode = e.mode!.toString(8).padStart(4, '0');
  const size = String(e.type === 'file' ? e.size : '').padStart(12);
  const extra = e.type === 'symlink' ? ` -> ${e.target}` : e.linkTo !== undefined ? ` => ${e.linkTo}` : '';
  return `${e.type.padEnd(7)} ${mode} ${size} ${isoNanoseconds(e.mtimeNs!)} ${e.path === '' ? '.' : e.path}${extra}`;
}


async function runList(context: CommandContext): Promise<CommandOutcome> {
  const [storeName] = context.args;
  const store = storeArgument(storeName, context.values);
  const { values, options, io } = context;
  if (!values.files) {
    if (values.level !== undefined) throw usageError('list: --level N goes with --files (it picks the backup whose files are listed)');
    if (values.backup !== undefined) throw usageError('list: --backup goes with --files (it picks the backup whose files are listed)');
  }
  checkOneBackupChoice(values);
  if (values.files) {
    let count = 0;
    for await (const entry of listFiles(store, { name: values.name, level: values.level, backup: values.backup })) {
      // A slow reader (a pager) holds the listing back: the manifest is never queued whole in memory.
      if (!io.stdout.write(options.json ? `${JSON.stringify(entry)}\n` : `${fileLine(entry)}\n`)) await drained(io.stdout);
      count++;
    }
    return { summary: { entries: count }, statistics: [] };
  }
  const result = await list(store, { name: values.name });
  const lines: string[] = [];
  for (const n of result.names) {
    lines.push(`${n.name}${n.source ? ` (${n.source})` : ''}`);
    for (const c of n.chains) {
      lines.push(`  ${c.chain}${c.problem ? `  BROKEN: ${c.problem}` : ''}${c.uncommitted.length ? `  (uncommitted leftovers: ${c.uncommitted.join(', ')})` : ''}`);
      for (const b of c.backups) {
        const k = b.counts;
        // The full ID, as --backup takes it: ids repeat in every chain.
        lines.push(
          `    ${c.chain}/${b.id}  level ${b.level}  ${b.finished}  ${counted(k.files, 'file')} (${formatBytes(k.totalBytes)}), ${k.filesRead} read, ` +
            `${k.deleted} deleted, stored ${formatBytes(b.storedBytes)}`,
        );
      }
    }
  }
  return reportOutcome(context, lines, result);
}

export const listCommand = ownCommand({
  name: 'list',
  synopsis: 'STORE',
  summary: 'List the chains and backups in STORE (--files: the entries of one backup)',
  description: [
    'For each name: its chains and their backups, each with the ID --backup takes (CHAIN/ID), its level, commit time, files and their size, ' +
      'files read, paths deleted, and the bytes it stored (packs and manifest). A broken chain and the leftovers of an interrupted backup are shown. ' +
      'list takes no lock.',
    'With --files, the entries of one backup (the newest, or the one --backup or --level picks): type, mode, size, mtime (ns) and path; ' +
      "'deleted' entries are paths removed since the level below. With --json, one JSON object per entry, then the summary.",
  ],
  group: BACKUP_COMMANDS,
  options: [
    describedAs(NAME, 'Only this name', 'every name; with --files, the only one'),
    FILES,
    describedAs(BACKUP, 'With --files: that backup, as list shows it (chain-000002/000001-L1)'),
    describedAs(LEVEL, 'With --files: the newest backup at level N'),
    ...S3_OPTIONS,
    ...PASSWORD_OPTIONS,
  ],
  examples: [
    { what: 'Every backup in /backups', line: 'librsync list /backups' },
    { what: 'The files of one backup', line: 'librsync list /backups --files --backup chain-000002/000001-L1' },
    { what: 'The same as JSON lines, for a script', line: 'librsync list /backups --files --backup chain-000002/000001-L1 --json' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; BACKUP_NOT_FOUND: no such backup (--files)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '106', meaning: "BACKUP_CORRUPT: the chosen backup's manifest is damaged (--files)" },
    { status: '108', meaning: 'RS_PARAM_ERROR (a bad --name); BACKUP_NAME_REQUIRED (--files in a store of several names)' },
  ],
  run: runList,
});
