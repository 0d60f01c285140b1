// Rebuilds one file from its recipe, in stream: the first step's bytes (or
// an empty basis) become a temporary basis, each delta is streamed from the
// store through patch(basis) into the next temporary file, and the last
// step goes through a whole-file SHA-256 check into an AtomicFileWriter,
// so the file appears at its path only complete and verified. Every stored
// piece is checked against its own digest on the way: damage is reported
// naming the file and the level that holds the damaged piece. Every patch
// is capped at the size its step records: a crafted delta cannot fill the
// disk with an intermediate version.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { AtomicFileOptions, AtomicFileWriter } from '../atomic-file';
import { LibrsyncError } from '../errors';
import { patch } from '../operations';
import { DigestStream } from './digest-stream';
import { expandExtents } from './extent-expander';
import { ScratchFileWriter, SparseAtomicFileWriter } from './sparse-file-writer';
import { pipeAll } from './pipe-all';
import { ManifestEntry, RecipeStep } from './manifest';
import { BackupStore } from './store';
import { parseBackupId } from './store-keys';
import { readPiece } from './stored-piece';

export interface RebuildContext {
  store: BackupStore;
  name: string;
  chain: string;
  /** Directory for intermediate versions (removed by the caller). */
  scratch: string;
  streamOptions: Record<string, unknown>;
  signal?: AbortSignal;
  /** Bytes written to the final file so far, as they go. */
  onBytes?: (n: number) => void;
}

const EMPTY = Buffer.alloc(0);

function levelName(backup: string): string {
  const parsed = parseBackupId(backup);
  return parsed ? `level ${parsed.level} (${backup})` : backup;
}

function damaged(entry: ManifestEntry, step: RecipeStep, why: string): LibrsyncError {
  const what = step.kind === 'raw' ? 'data' : 'delta';
  return new LibrsyncError('BACKUP_CORRUPT', `'${entry.path}': its ${what} stored by ${levelName(step.backup)} is corrupt (${why})`);
}

/** Bytes of a stored piece, checked against its digest at the end. */
export function readChecked(ctx: Pick<RebuildContext, 'store' | 'name' | 'chain'>, entry: ManifestEntry, step: RecipeStep): Readable[] {
  return readPiece(ctx, step, (why) => damaged(entry, step, why));
}

/**
 * A failure inside a step is the step's damage unless it is the caller's
 * (abort) or the disk's (ENOSPC, ...): librsync's errors, and the store's
 * own BACKUP_CORRUPT (an encrypted segment that fails authentication names
 * only its object), are said of the file and the level that holds it.
 */
function blame(err: unknown, entry: ManifestEntry, step: RecipeStep): unknown {
  if (!(err instanceof LibrsyncError)) return err;
  if (err.code.startsWith('RS_')) return damaged(entry, step, err.message);
  if (err.code === 'BACKUP_CORRUPT' && !err.message.startsWith(`'${entry.path}': `)) return damaged(entry, step, err.message);
  return err;
}

/** Where the final version is written before its rename into place, and what happens to it just before. */
export type Placement = Pick<AtomicFileOptions, 'tempPath' | 'beforeRename' | 'syncBatch'>;

/** Where a rebuilt file goes: a file put in place atomically, or a stream (cat), whose last bytes are followed by the hash check. */
export type RebuildSink = { destination: string; placement?: Placement } | { output: Writable };

export async function rebuildFile(ctx: RebuildContext, entry: ManifestEntry, destination: string, placement: Placement = {}): Promise<void> {
  await rebuild(ctx, entry, { destination, placement });
}

/**
 * Streams one file's content into `output` (ended at the end, as a pipeline
 * does), checked piece by piece and whole: a mismatch fails it once the
 * bytes before it went out.
 */
export async function rebuildToStream(ctx: RebuildContext, entry: ManifestEntry, output: Writable): Promise<void> {
  await rebuild(ctx, entry, { output });
}

async function rebuild(ctx: RebuildContext, entry: ManifestEntry, sink: RebuildSink): Promise<void> {
  const recipe = entry.recipe ?? [];
  // Unique per file: several files are rebuilt at once.
  const scratchBase = join(ctx.scratch, randomBytes(8).toString('hex'));
  let basis: string | undefined;
  try {
    if (recipe.length === 0) {
      await writeFinal(ctx, entry, [Readable.from([])], sink, recipe[0]);
      return;
    }
    for (let i = 0; i < recipe.length; i++) {
      const step = recipe[i];
      const stages: (Readable | Writable)[] = readChecked(ctx, entry, step);
      const last = i === recipe.length - 1;
      const size = last ? entry.size! : step.size;
      if (step.extents) stages.push(expandExtents(step.extents, step.size, (why) => damaged(entry, step, why)));
      if (step.kind === 'delta') stages.push(patch(basis ?? EMPTY, { ...ctx.streamOptions, maxOutput: size }) as unknown as Readable);
      if (last) {
        await writeFinal(ctx, entry, stages, sink, step);
      } else {
        const next = `${scratchBase}-${i % 2}`;
        const counted = new DigestStream({ length: size, mismatch: () => damaged(entry, step, `it rebuilds a version of another size than ${size} bytes`) });
        try {
          await pipeAll([...stages, counted, new ScratchFileWriter(next)], ctx.signal);
        } catch (err) {
          throw blame(err, entry, step);
        }
        basis = next;
      }
    }
  } finally {
    await Promise.all([0, 1].map((n) => rm(`${scratchBase}-${n}`, { force: true })));
  }
}

async function writeFinal(ctx: RebuildContext, entry: ManifestEntry, stages: (Readable | Writable)[], sink: RebuildSink, step: RecipeStep | undefined): Promise<void> {
  const whole = new DigestStream(
    {
      sha256: entry.sha256!,
      length: entry.size,
      mismatch: () => new LibrsyncError('BACKUP_CORRUPT', `'${entry.path}': the rebuilt file does not match its SHA-256 (levels up to ${step ? levelName(step.backup) : '0'})`),
    },
    ctx.onBytes,
  );
  if ('output' in sink) {
    try {
      await pipeAll([...stages, whole, sink.output], ctx.signal);
    } catch (err) {
      throw step ? blame(err, entry, step) : err;
    }
    return;
  }
  // Private until complete; the caller's beforeRename gives it its final metadata.
  const options = { mode: 0o600, ...sink.placement };
  const output = entry.extents
    ? new SparseAtomicFileWriter(sink.destination, entry.extents, (at) => new LibrsyncError('BACKUP_CORRUPT', `'${entry.path}': byte ${at} falls in a hole of its recorded layout but is not zero`), options)
    : new AtomicFileWriter(sink.destination, options);
  try {
    await pipeAll([...stages, whole, output], ctx.signal);
  } catch (err) {
    await output.settled();
    throw step ? blame(err, entry, step) : err;
  }
}
