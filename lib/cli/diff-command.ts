// `diff STORE A B`: what changed between two backups, from their manifests.
import { BackupDifference, diff } from '../backup/diff';
import { S3_OPTIONS, storeArgument } from './store-options';
import { PASSWORD_OPTIONS } from './password-options';
import { parseBackupRef } from '../backup/selection';
import { drained } from '../backup/stream-waits';
import { LibrsyncError } from '../errors';
import { BACKUP_COMMANDS, CommandContext, CommandOutcome, ownCommand } from './command';
import { usageError } from './cli-error';
import { NAME } from './command-options';
import { EXIT_HELP } from './exit-statuses';
import { formatBytes } from './human-units';
import { describedAs } from './option-spec';

const MARK: Record<BackupDifference['change'], string> = { added: '+', removed: '-', modified: 'M' };

function line(d: BackupDifference): string {
  const size = d.change === 'modified' && d.sizeBefore !== d.sizeAfter ? ` ${d.sizeBefore} -> ${d.sizeAfter} bytes` : d.sizeAfter ?? d.sizeBefore;
  const sizeText = size === undefined ? '' : typeof size === 'number' ? ` ${size} bytes` : size;
  const fields = d.fields ? ` (${d.fields.join(', ')})` : '';
  return `${MARK[d.change]} ${d.type.padEnd(7)} ${d.path === '' ? '.' : d.path}${fields}${sizeText}`;
}

/** A backup as the command line names it: CHAIN/ID, as list shows it. */
function ref(text: string, which: string): string {
  try {
    parseBackupRef(text);
    return text;
  } catch (err) {
    if (err instanceof LibrsyncError) throw usageError(`${which}: ${err.message}`);
    throw err;
  }
}

async function runDiff(context: CommandContext): Promise<CommandOutcome> {
  const [storeName, a, b] = context.args;
  const store = storeArgument(storeName, context.values);
  const { values, io, options } = context;
  const from = ref(a, 'A');
  const to = ref(b, 'B');
  const result = await diff(store, {
    name: values.name,
    from: { backup: from },
    to: { backup: to },
    signal: context.signal,
    onWarning: (w) => context.reporter.warning(`${w.path || '.'}: ${w.message}`),
    // One line a difference as it is found; a slow reader holds the walk back.
    onDifference: async (d) => {
      if (!io.stdout.write(options.json ? `${JSON.stringify(d)}\n` : `${line(d)}\n`)) await drained(io.stdout);
    },
  });
  const sign = result.sizeChange < 0 ? '-' : '+';
  context.reporter.result([
    `${result.name} ${result.from.chain}/${result.from.id} -> ${result.to.chain}/${result.to.id}: ${result.added} added, ${result.removed} removed, ` +
      `${result.modified} modified, file sizes ${sign}${formatBytes(Math.abs(result.sizeChange))}`,
  ]);
  // The differences went out one a line; the summary keeps the counts.
  const { differences: _streamed, ...summary } = result;
  return { summary, statistics: [] };
}

export const diffCommand = ownCommand({
  name: 'diff',
  synopsis: 'STORE A B',
  summary: 'List what changed between two backups (added, removed, modified)',
  description: [
    'A and B are backups as list shows them (chain-000001/000002-L2). Only their manifests are read, no data: each path added, removed, or ' +
      'modified (what differs: type, size, content, mode, owner, mtime, target, xattrs) from A to B, one line each ("+", "-", "M"), then a summary line. ' +
      'With --json, one JSON object a difference, then the summary.',
  ],
  group: BACKUP_COMMANDS,
  options: [describedAs(NAME, 'Backup name', 'the only name in STORE'), ...S3_OPTIONS, ...PASSWORD_OPTIONS],
  examples: [
    { what: 'What changed from the level 0 of a chain to its level 3', line: 'librsync diff /backups chain-000002/000000-L0 chain-000002/000003-L3' },
  ],
  exitStatuses: [
    EXIT_HELP.success,
    { status: '100', meaning: 'I/O error; BACKUP_NOT_FOUND (no such backup); BACKUP_LOCKED (a prune runs)' },
    EXIT_HELP.storeKey,
    EXIT_HELP.usage,
    EXIT_HELP.storeInvalid,
    EXIT_HELP.notEncrypted,
    { status: '106', meaning: 'BACKUP_CORRUPT: a manifest is damaged' },
    EXIT_HELP.internal,
    { status: '108', meaning: 'RS_PARAM_ERROR: A and B back up a directory and a file; BACKUP_NAME_REQUIRED (a store of several names)' },
    { status: '141', meaning: 'stdout was closed early: quietly' },
  ],
  run: runDiff,
});
