// Backs up one regular file in ONE read pass: the bytes are hashed and fed
// at the same time to signature() and either to the store as they are
// (a first version) or to delta() against the previous version's
// signature. fstat before and after (and a path lstat) detect a file that
// changed while it was read: it is read again, a few times, and otherwise
// kept as read (data, hash and signature still agree) and flagged.
import { BigIntStats, constants } from 'node:fs';
import { FileHandle, lstat, open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Extent, clipExtents, dataExtents, hasHoles } from '../data-extents';
import { LibrsyncError } from '../errors';
import { delta, loadSignature, signature } from '../operations';
import { SignatureSet } from '../signature-set';
import { AlignedDelta } from './aligned-delta';
import { runWhole } from './whole-output';
import { createHash } from 'node:crypto';
import { DigestStream } from './digest-stream';
import { ExtentFilter } from './extent-filter';
import { readSkippingHoles } from './hole-skipping-reader';
import { settledStat } from './settled-stat';
import { FanOut } from './fan-out';
import { Readable, Transform, Writable, pipeline as streamPipeline } from 'node:stream';
import { ManifestEntry, RecipeStep } from './manifest';
import { MemorySegment, PackSegment, PackWriter, Piece, placedPiece } from './pack-writer';
import { BackupStore } from './store';
import { readPiece } from './stored-piece';
import { CompressionMode } from './compression';
import { FramedPieceWriter, pieceInput, segmentHashes, wholePiece } from './framed-piece-writer';

/** Reads of a file that keeps changing before it is stored as read and flagged. */
export const CAPTURE_ATTEMPTS = 3;

const READ_CHUNK = 1 << 20;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface CaptureContext {
  store: BackupStore;
  name: string;
  chain: string;
  blockSize: number;
  /** How data, delta and signature pieces are stored ('off': as they are; default 'auto'). */
  compression?: CompressionMode;
  dataPack: PackWriter;
  signaturePack: PackWriter;
  streamOptions: Record<string, unknown>;
  signal?: AbortSignal;
  onBytes: (n: number) => void;
  /** Warnings about the file being captured. */
  warn: (message: string) => void;
}

export interface Capture {
  /** The stat the stored content belongs to. */
  stat: BigIntStats;
  size: number;
  sha256: string;
  /** raw: the bytes; delta: against the previous version; delta-alone: a delta needing no basis. None for an empty file. */
  kind?: 'raw' | 'delta' | 'delta-alone';
  data?: Piece;
  signature?: Piece;
  /** A file with holes: its data extents (a raw piece holds their bytes only). */
  extents?: Extent[];
  unstable: boolean;
  /**
   * The path no longer leads to the inode that was read (replaced by a
   * rename, or deleted, while it was read): what was read is a whole
   * version that existed, but the caller decides whether to read what
   * stands at the path now.
   */
  replaced?: boolean;
  /** Bytes read over all attempts. */
  bytesRead: number;
}

/** A file the backup may not open (permissions): left out of the level with a warning, not the end of the backup. */
export class UnreadableFileError extends Error {}

/** Same inode, size, times and mode: the content cannot have changed in between. */
export function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.mode === b.mode;
}

/** The previous version's signature, loaded and as its bytes. */
export interface Basis {
  set: SignatureSet;
  /** For the entry-by-entry comparison of files edited in place (aligned-delta.ts). */
  bytes: Buffer;
}

/** The previous version's signature, if it can serve as the delta basis; else undefined (stored whole). */
async function previousSignature(ctx: CaptureContext, previous: ManifestEntry | undefined): Promise<Basis | undefined> {
  const ref = previous?.type === 'file' ? previous.signature : undefined;
  if (!ref || !previous?.recipe?.length) return undefined;
  // A signature is 12 bytes plus at most 36 per block of the version it describes:
  // anything longer is damage (or a crafted store), not something to load.
  const longest = 12 + Math.ceil((previous.size ?? 0) / ctx.blockSize) * 36;
  const rawLength = ref.rawLength ?? ref.length;
  if (rawLength > longest) {
    ctx.warn(`previous signature unusable, stored whole: its ${rawLength} bytes are more than a signature of ${previous.size} bytes can have`);
    return undefined;
  }
  const stages = readPiece(ctx, ref, (why) => new LibrsyncError('BACKUP_CORRUPT', `the stored signature of '${previous.path}' (${ref.backup}) is corrupt (${why})`));
  const source = stages[0];
  try {
    // The bytes are kept as well: no more than the stored length (a store sending more is damage).
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const keeper = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        keptBytes += chunk.length;
        if (keptBytes > rawLength) callback(new LibrsyncError('BACKUP_CORRUPT', `the stored signature of '${previous.path}' (${ref.backup}) is longer than recorded`));
        else callback(null, kept.push(chunk) && chunk);
      },
    });
    // The last stage, fed by the others; a failure anywhere destroys them all (the last one with it).
    const checked = (streamPipeline as unknown as (...args: unknown[]) => Readable)(...stages, keeper, () => undefined);
    // Resolves only after the check has seen every byte and matched the digest.
    const set = await loadSignature(checked, { signal: ctx.signal, ...ctx.streamOptions } as { signal?: AbortSignal });
    if (set.blockLength !== ctx.blockSize) {
      set.close();
      return undefined;
    }
    return { set, bytes: Buffer.concat(kept, keptBytes) };
  } catch (err) {
    source.destroy();
    if (ctx.signal?.aborted) throw err;
    // The new level must not depend on a damaged one: store this file whole.
    ctx.warn(`previous signature unusable, stored whole: ${(err as Error).message}`);
    return undefined;
  }
}

/** Runs every pipeline; the first failure aborts the others, and all have settled when this returns. */
async function runTogether(runs: ((signal: AbortSignal) => Promise<void>)[], outer?: AbortSignal): Promise<void> {
  const controller = new AbortController();
  // A listener removed afterwards, not AbortSignal.any(): one run per file must leave nothing behind on `outer`.
  const forward = (): void => controller.abort(outer!.reason);
  outer?.addEventListener('abort', forward, { once: true });
  if (outer?.aborted) forward();
  let first: unknown;
  try {
    const results = await Promise.allSettled(
      runs.map((run) =>
        run(controller.signal).catch((err) => {
          first ??= err;
          controller.abort(err);
          throw err;
        }),
      ),
    );
    if (results.some((r) => r.status === 'rejected')) throw first;
  } finally {
    outer?.removeEventListener('abort', forward);
  }
}

/** Where one read's outputs go: straight into the packs, or into memory for a later append. */
export type CaptureMode = 'direct' | 'buffered';

/** The largest file a 'buffered' capture reads; a file grown past it since the walk is left for a direct read. */
export const BUFFERED_MAX_BYTES = 1 << 20;

/** What one read of a file produced. */
interface ReadResult {
  digest: { bytes: number; sha256: string };
  kind: Capture['kind'];
  data: Piece;
  signature: Piece;
  extents?: Extent[];
}

/** A piece from where it was written: a framing writer, a memory segment or a pack segment. */
function pieceOf(sink: Writable, pack: PackWriter, sha?: string): Piece {
  return sink instanceof FramedPieceWriter ? sink.piece(pack, sha) : sink instanceof MemorySegment ? sink.piece(pack, sha) : placedPiece(sink as PackSegment, sha);
}

/**
 * A small file (buffered, no holes) in one read call: hashed, signed and
 * stored or diffed from that one buffer, one librsync job each, with no
 * stream per file. Many small files cost their system calls, not plumbing.
 */
async function readSmall(ctx: CaptureContext, handle: FileHandle, size: number, basis: Basis | undefined): Promise<ReadResult> {
  ctx.signal?.throwIfAborted();
  const buffer = Buffer.allocUnsafe(size);
  let n = 0;
  // What the size said, no more: a file that grows or shrinks meanwhile is caught by the stat after.
  while (n < size) {
    const { bytesRead } = await handle.read(buffer, n, size - n, n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  const bytes = buffer.subarray(0, n);
  ctx.onBytes(n);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // One stripe at most: the serial jobs, without a parallel job's set-up, and output buffers
  // about the size of their output rather than 256 KiB each (two per file are most of the garbage).
  const options = { ...ctx.streamOptions, concurrency: 1 };
  const fits = (bytes: number): number => Math.min(256 << 10, Math.max(64, bytes));
  let kind: Capture['kind'] = 'raw';
  let payload: Buffer = bytes;
  if (basis) {
    const job = delta(basis.set, { ...options, outputChunkSize: fits(n + 1024) });
    payload = await runWhole(job, bytes);
    kind = job.stats!.copyBytes === 0 ? 'delta-alone' : 'delta';
  }
  const sig = await runWhole(signature({ ...options, blockLength: ctx.blockSize, size, outputChunkSize: fits(12 + Math.ceil(n / ctx.blockSize) * 36) }), bytes);
  const [data, sigPiece] = await Promise.all([wholePiece(ctx.compression, payload, ctx.dataPack, basis ? undefined : sha256), wholePiece(ctx.compression, sig, ctx.signaturePack)]);
  return { digest: { bytes: n, sha256 }, kind, data, signature: sigPiece };
}

async function readOnce(ctx: CaptureContext, handle: FileHandle, before: BigIntStats, basis: Basis | undefined, mode: CaptureMode): Promise<ReadResult> {
  const size = Number(before.size);
  // Holes are recorded, not read or stored: they still feed the hash and signature as the zeros they read as.
  // Only a file allocated less than its size can have any (GNU tar's test): no thread-pool call for the others.
  const extents = before.blocks * 512n < before.size ? await dataExtents(handle.fd, size) : undefined;
  const sparse = extents && hasHoles(extents, size) ? extents : undefined;
  if (mode === 'buffered' && !sparse) return readSmall(ctx, handle, size, basis);
  const keep = sparse && !basis ? new ExtentFilter(sparse) : undefined;
  const digest = new DigestStream(undefined, ctx.onBytes);
  const direct = mode === 'direct';
  // A delta, or a sparse file's data extents, is hashed as it is stored; a file's whole bytes are hashed by `digest` already.
  const dataHashed = basis !== undefined || keep !== undefined;
  const sigSink = direct ? await ctx.signaturePack.beginSegment(segmentHashes(ctx.compression, true)) : new MemorySegment();
  const dataSink = direct ? await ctx.dataPack.beginSegment(segmentHashes(ctx.compression, dataHashed)) : new MemorySegment();
  // Where the signature and the data are written: the sinks, or framing writers into them.
  const sigInput = pieceInput(ctx.compression, sigSink, true);
  const dataInput = pieceInput(ctx.compression, dataSink, dataHashed);
  // Read what the size said, no more: a file that grows meanwhile is caught by the stat after.
  const input = sparse
    ? readSkippingHoles(handle, sparse, size)
    : handle.createReadStream({ start: 0, end: Math.max(0, size - 1), highWaterMark: READ_CHUNK, autoClose: false, emitClose: false });
  let runs: ((signal: AbortSignal) => Promise<void>)[];
  let copied: () => number = () => 0;
  if (basis) {
    // A later version: its signature and its delta from one stage that skips the rolling search where blocks stayed in place.
    const aligned = new AlignedDelta({ blockLength: ctx.blockSize, size, basis: basis.set, basisBytes: basis.bytes, streamOptions: ctx.streamOptions });
    copied = () => aligned.copyBytes;
    runs = [
      (signal: AbortSignal) => pipeline(input, digest, aligned, { signal }),
      (signal: AbortSignal) => pipeline(aligned.signatureOutput, sigInput, { signal }),
      (signal: AbortSignal) => pipeline(aligned.deltaOutput, dataInput, { signal }),
    ];
  } else {
    const sigJob = signature({ blockLength: ctx.blockSize, size, ...ctx.streamOptions });
    runs = [
      (signal: AbortSignal) => pipeline(input, digest, new FanOut([sigJob, keep ?? dataInput]), { signal }),
      (signal: AbortSignal) => pipeline(sigJob, sigInput, { signal }),
    ];
    if (keep) runs.push((signal: AbortSignal) => pipeline(keep, dataInput, { signal }));
  }
  try {
    await runTogether(runs, ctx.signal);
  } finally {
    // Not `input`: destroying it would close the file handle, which the caller owns.
    for (const s of [sigInput, dataInput, sigSink, dataSink]) if (!s.destroyed) s.destroy();
  }
  const dataSha = basis || keep ? undefined : digest.sha256;
  // A delta that copies nothing rebuilds from an empty basis: the file no longer needs its older levels.
  const kind: Capture['kind'] = !basis ? 'raw' : copied() === 0 ? 'delta-alone' : 'delta';
  return { digest, kind, data: pieceOf(dataInput, ctx.dataPack, dataSha), signature: pieceOf(sigInput, ctx.signaturePack), extents: sparse && clipExtents(sparse, digest.bytes) };
}

/** The recipe of a captured file, once its data has a place: the previous recipe plus a delta, or a fresh start. */
export async function recipeOf(capture: Capture, previous: ManifestEntry | undefined): Promise<RecipeStep[]> {
  if (!capture.data || !capture.kind) return [];
  const ref = await capture.data.place();
  const size = capture.size;
  if (capture.kind === 'raw') return [{ ...ref, kind: 'raw', size, ...(capture.extents && { extents: capture.extents }) }];
  if (capture.kind === 'delta-alone') return [{ ...ref, kind: 'delta', size }];
  return [...previous!.recipe!, { ...ref, kind: 'delta', size }];
}

/**
 * Stores one regular file; undefined when it vanished (or stopped being a
 * regular file) before it could be read; `replaced` when the path led
 * elsewhere once it was read; 'too-big' when a buffered capture finds
 * more than BUFFERED_MAX_BYTES (memory holds only small files).
 */
export async function captureFile(
  ctx: CaptureContext,
  absolute: string,
  previous: ManifestEntry | undefined,
  mode: CaptureMode,
): Promise<Capture | 'too-big' | undefined> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW / O_NONBLOCK: a path swapped for a symlink or a FIFO since the walk must not be followed or block.
    handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    if (code === 'EACCES' || code === 'EPERM') throw new UnreadableFileError(`cannot be read (${code}): left out of this level`);
    throw err;
  }
  let basis: Basis | undefined;
  let bytesRead = 0;
  try {
    let before = await handle.stat({ bigint: true });
    if (!before.isFile()) return undefined;
    if (before.size === 0n) {
      const probe = await handle.read(Buffer.alloc(1), 0, 1, 0);
      const after = await handle.stat({ bigint: true });
      if (probe.bytesRead === 0 && sameVersion(before, after)) {
        return { stat: before, size: 0, sha256: EMPTY_SHA256, unstable: false, bytesRead: 0 };
      }
      before = after;
    }
    basis = await previousSignature(ctx, previous);
    for (let attempt = 1; ; attempt++) {
      // A read must begin a clock tick after the last change, or a change during it could keep the same mtime.
      const settled = await settledStat(handle, before);
      before = settled.stat;
      if (!before.isFile()) return undefined;
      if (mode === 'buffered' && before.size > BigInt(BUFFERED_MAX_BYTES)) return 'too-big';
      const { digest, kind, data, signature: sigPiece, extents } = await readOnce(ctx, handle, before, basis, mode);
      bytesRead += digest.bytes;
      const after = await handle.stat({ bigint: true });
      const atPath = await lstat(absolute, { bigint: true }).catch(() => undefined);
      const stable = !settled.racy && sameVersion(before, after) && BigInt(digest.bytes) === before.size;
      if (!atPath || atPath.ino !== after.ino || atPath.dev !== after.dev) {
        // Replaced or deleted while read: this inode will not be read again through this path.
        return { stat: stable ? before : after, size: digest.bytes, sha256: digest.sha256, kind, data, signature: sigPiece, extents, unstable: !stable, replaced: true, bytesRead };
      }
      if (stable || attempt === CAPTURE_ATTEMPTS) {
        if (!stable) ctx.warn(`changed while being read (${attempt} attempts); stored as last read and read again next time`);
        return { stat: stable ? before : after, size: digest.bytes, sha256: digest.sha256, kind, data, signature: sigPiece, extents, unstable: !stable, bytesRead };
      }
      before = after;
    }
  } finally {
    basis?.set.close();
    await handle.close().catch(() => undefined); // a failed read stream may have closed it already
  }
}
