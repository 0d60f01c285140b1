// Rebuilds one file from its recipe, in stream, into an AtomicFileWriter
// (or a stream, for cat) behind a whole-file SHA-256 check, so the file
// appears at its path only complete and verified. A chain of deltas is
// composed into one list of runs (delta-chain.ts) and rebuilt in one pass
// over the level-0 piece, whatever its length; a chain too fragmented to
// compose is rebuilt level by level through scratch files as patch bases.
// Every stored piece is checked against its own digest on the way: damage
// is reported naming the file and the level that holds the damaged piece.
// Every version is capped at the size its step records: a crafted delta
// cannot fill the disk or the memory with an intermediate version.
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
import { ChainTooFragmented, RunList, composeLevel } from './delta-chain';
import { ComposedBase, composedBytes } from './composed-version';
import { LiteralStore } from './literal-store';

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
  // A file of one piece (most files) needs no scratch file, and so no removal of one.
  if (recipe.length === 0) {
    await writeFinal(ctx, entry, [Readable.from([])], sink, recipe[0]);
    return;
  }
  if (recipe.length === 1) {
    await writeFinal(ctx, entry, stepStages(ctx, entry, recipe[0], EMPTY, entry.size!), sink, recipe[0]);
    return;
  }
  const scratchBase = join(ctx.scratch, randomBytes(8).toString('hex'));
  try {
    try {
      await rebuildComposed(ctx, entry, sink, scratchBase);
    } catch (err) {
      // Thrown while composing, before a byte went to the sink: starting over is safe (cat too).
      if (!(err instanceof ChainTooFragmented)) throw err;
      await rebuildStepwise(ctx, entry, sink, scratchBase);
    }
  } finally {
    await Promise.all([0, 1].map((n) => rm(`${scratchBase}-${n}`, { force: true })));
  }
}

/** The stages that yield the version `step` rebuilds (at most `size` bytes), from the previous version at `basis`. */
function stepStages(ctx: RebuildContext, entry: ManifestEntry, step: RecipeStep, basis: string | Buffer, size: number): (Readable | Writable)[] {
  const stages: (Readable | Writable)[] = readChecked(ctx, entry, step);
  if (step.extents) stages.push(expandExtents(step.extents, step.size, (why) => damaged(entry, step, why)));
  if (step.kind === 'delta') stages.push(patch(basis, { ...ctx.streamOptions, maxOutput: size }) as unknown as Readable);
  return stages;
}

/** Writes an intermediate version to the scratch file `path`, checking its size. */
async function writeScratch(ctx: RebuildContext, entry: ManifestEntry, step: RecipeStep, stages: (Readable | Writable)[], path: string): Promise<void> {
  const counted = new DigestStream({ length: step.size, mismatch: () => damaged(entry, step, `it rebuilds a version of another size than ${step.size} bytes`) });
  try {
    await pipeAll([...stages, counted, new ScratchFileWriter(path)], ctx.signal);
  } catch (err) {
    throw blame(err, entry, step);
  }
}

/**
 * Level after level, each version a scratch file that is the next one's
 * basis: for chains too fragmented to compose (delta-chain.ts).
 */
async function rebuildStepwise(ctx: RebuildContext, entry: ManifestEntry, sink: RebuildSink, scratchBase: string): Promise<void> {
  const recipe = entry.recipe!;
  let basis: string | Buffer = EMPTY;
  for (let i = 0; i < recipe.length - 1; i++) {
    const next = `${scratchBase}-${i % 2}`;
    await writeScratch(ctx, entry, recipe[i], stepStages(ctx, entry, recipe[i], basis, recipe[i].size), next);
    basis = next;
  }
  const last = recipe[recipe.length - 1];
  await writeFinal(ctx, entry, stepStages(ctx, entry, last, basis, entry.size!), sink, last);
}

/**
 * The chain's deltas composed into one list of runs (delta-chain.ts), then
 * one pass: the level-0 piece streamed once in order when the runs use it
 * in order (in-place edits, inserts, appends, truncation), else one
 * checked scratch copy of it read at the runs' positions. A chain that
 * starts with a delta against nothing has no base.
 */
async function rebuildComposed(ctx: RebuildContext, entry: ManifestEntry, sink: RebuildSink, scratchBase: string): Promise<void> {
  const recipe = entry.recipe!;
  const first = recipe[0];
  const fromBase = first.kind === 'raw';
  const deltas = fromBase ? recipe.slice(1) : recipe;
  const literals = new LiteralStore(`${scratchBase}-literals`);
  try {
    let runs = fromBase ? RunList.base(first.size) : new RunList();
    for (let i = 0; i < deltas.length; i++) {
      const step = deltas[i];
      const last = i === deltas.length - 1;
      const size = last ? entry.size! : step.size;
      const bytes = checkedBytes(readChecked(ctx, entry, step), (err) => blame(err, entry, step), ctx.signal);
      runs = await composeLevel(runs, bytes, size, literals, (why) => damaged(entry, step, why));
      if (!last && runs.size !== size) throw damaged(entry, step, `it rebuilds a version of another size than ${size} bytes`);
    }
    let base: ComposedBase;
    if (fromBase && runs.usesBase()) {
      const stages = stepStages(ctx, entry, first, EMPTY, first.size);
      if (runs.readsBaseInOrder()) {
        base = { stream: checkedBytes(stages, (err) => blame(err, entry, first), ctx.signal), size: first.size, damaged: (why) => damaged(entry, first, why) };
      } else {
        const path = `${scratchBase}-0`;
        await writeScratch(ctx, entry, first, stages, path);
        base = { path };
      }
    }
    await writeFinal(ctx, entry, [Readable.from(composedBytes(runs, literals, base), { objectMode: false })], sink, recipe[recipe.length - 1]);
  } finally {
    await literals.close();
  }
}

/**
 * The bytes out of the last of `stages` (run as a pipeline of their own),
 * any failure among them passed through `blameIt`: the composed pass has
 * several pieces in flight, and each one's damage names its own level.
 */
async function* checkedBytes(stages: (Readable | Writable)[], blameIt: (err: unknown) => unknown, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const tail = stages[stages.length - 1] as Readable;
  const run = pipeAll(stages, signal);
  run.catch(() => undefined); // its failure is the tail's, seen below
  try {
    for await (const chunk of tail) yield chunk as Buffer;
    await run;
  } catch (err) {
    throw blameIt(err);
  } finally {
    if (!tail.destroyed) tail.destroy();
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
