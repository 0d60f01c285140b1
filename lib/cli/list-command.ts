// `list STORE`: chains, levels, times, file counts and stored bytes; with
// --files, the entries of one backup (streamed; with --json one JSON
// object per entry, then the summary).
import { Writable } from 'node:stream';
import { list, listFiles } from '../backup/list';
import { ManifestEntry } from '../backup/manifest';
import { CommandContext, CommandOutcome, ownCommand, reportOutcome } from './command';
import { usageError } from './cli-error';
import { FILES, LEVEL, NAME } from './command-options';
import { formatBytes } from './human-units';

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

/** Resolves when `stream` drained; rejects if it fails or closes first (a reader that went away). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('error', done);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('stdout closed'));
    stream.on('drain', onDrain);
    stream.on('error', done);
    stream.on('close', onClose);
  });
}

async function runList(context: CommandContext): Promise<CommandOutcome> {
  const [store] = context.args;
  const { values, options, io } = context;
  if (values.level !== undefined && !values.files) throw usageError('list: --level N goes with --files (it picks the backup whose files are listed)');
  if (values.files) {
    let count = 0;
    for await (const entry of listFiles(store, { name: values.name, level: values.level })) {
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
        lines.push(
          `    ${b.id}  level ${b.level}  ${b.finished}  ${k.files} files (${formatBytes(k.totalBytes)}), ${k.filesRead} read, ` +
            `${k.deleted} deleted, stored ${formatBytes(b.storedBytes)}`,
        );
      }
    }
  }
  return reportOutcome(context, lines, result);
}

export const listCommand = ownCommand('list', 'STORE', 'List the chains and backups in STORE (--files: the files of one backup)', [NAME, LEVEL, FILES], runList);
