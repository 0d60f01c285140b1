// Many small objects in few store objects: the bytes of each stored file
// (or delta, or signature) are one segment appended to the current pack,
// found later by (pack, offset, length) and checked by SHA-256. Packs keep
// a tree of 100,000 files to a few store objects and a few fsyncs.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { paramError } from '../errors';
import { ObjectRef } from './manifest';
import { BackupStore, ObjectWriter } from './store';
import { drained, endAndFinish } from './stream-waits';

/** A pack is closed at the first segment boundary past this size (a store's packTargetBytes overrides it). */
export const PACK_TARGET_BYTES = 256 << 20;

/** How packs are cut and how many may still be finishing: the store's hints, checked. */
export interface PackOptions {
  targetBytes: number;
  uploadsInFlight: number;
}

/** The store's hints (BackupStore.packTargetBytes, uploadsInFlight) with their defaults; RS_PARAM_ERROR for a bad one. */
export function packOptionsOf(store: BackupStore): PackOptions {
  const hint = (name: 'packTargetBytes' | 'uploadsInFlight', fallback: number): number => {
    const value = store[name];
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < 1) throw paramError(`store ${store.location}: ${name} must be a positive integer, not ${String(value)}`);
    return value;
  };
  return { targetBytes: hint('packTargetBytes', PACK_TARGET_BYTES), uploadsInFlight: hint('uploadsInFlight', 1) };
}

interface OpenPack {
  name: string;
  writer: ObjectWriter;
  size: number;
}

/** A pack that was ended and is finishing (uploading); `done` never rejects: a failure is kept in `failure`. */
interface ClosingPack extends OpenPack {
  done: Promise<void>;
  failure?: { error: unknown };
}

export class PackWriter {
  /** Finished packs and their sizes, in pack order (a pack still finishing is not here yet). */
  readonly packs: Record<string, number> = {};
  private current: OpenPack | undefined;
  /** Ended, oldest first, not yet known to have finished. */
  private readonly closing: ClosingPack[] = [];
  /** The first pack that failed to finish: it fails the backup at the next segment or at close(). */
  private failure: { error: unknown } | undefined;
  private count = 0;
  private segmentOpen = false;

  constructor(
    private readonly store: BackupStore,
    /** Key prefix of the backup the packs belong to. */
    private readonly prefix: string,
    private readonly backupId: string,
    /** 'd' for data, 's' for signatures. */
    private readonly letter: string,
    private readonly options: PackOptions = packOptionsOf(store),
  ) {}

  /** Bytes of every pack so far: finished, finishing and open. */
  get bytesWritten(): number {
    let total = Object.values(this.packs).reduce((a, b) => a + b, 0) + (this.current?.size ?? 0);
    for (const pack of this.closing) total += pack.size;
    return total;
  }

  /** A Writable for the next segment; `hashed: false` when the caller knows the digest already. */
  async beginSegment(hashed = true): Promise<PackSegment> {
    if (this.segmentOpen) throw new Error('one segment at a time per pack writer');
    this.throwIfFailed();
    if (this.current && this.current.size >= this.options.targetBytes) await this.closeCurrent();
    if (!this.current) {
      this.count++;
      const name = `${this.letter}${String(this.count).padStart(6, '0')}.pack`;
      const writer = this.store.writeObject(`${this.prefix}/${name}`);
      writer.on('error', () => undefined); // surfaced by the segment that writes, or by close()
      this.current = { name, writer, size: 0 };
    }
    this.segmentOpen = true;
    const pack = this.current;
    return new PackSegment(pack, this.backupId, hashed, () => {
      this.segmentOpen = false;
    });
  }

  /** Finishes the open pack and waits for every pack still finishing: all are durable under their keys once this resolves. */
  async close(): Promise<void> {
    await this.closeCurrent();
    while (this.closing.length) await this.reapOldest();
  }

  /** Drops the open pack and those still finishing (a failed backup): resolves once none of their writers can still write. */
  async abandon(): Promise<void> {
    const open = [...(this.current ? [this.current] : []), ...this.closing.splice(0)];
    this.current = undefined;
    for (const pack of open) pack.writer.destroy();
    await Promise.all(open.map((pack) => pack.writer.settled()));
  }

  /**
   * Ends the open pack without waiting for it to finish, unless that makes
   * uploadsInFlight packs open: then the oldest is waited for (with 1, this
   * pack itself: it finishes before the next one starts).
   */
  private async closeCurrent(): Promise<void> {
    const open = this.current;
    if (!open) return;
    this.current = undefined;
    const closing: ClosingPack = { ...open, done: Promise.resolve() };
    closing.done = endAndFinish(open.writer).catch(async (error: unknown) => {
      await open.writer.settled();
      closing.failure = { error };
      this.failure ??= { error };
    });
    this.closing.push(closing);
    while (this.closing.length >= this.options.uploadsInFlight) await this.reapOldest();
  }

  /** Waits for the oldest finishing pack; records it, or throws the first failure of any pack. */
  private async reapOldest(): Promise<void> {
    const oldest = this.closing[0];
    await oldest.done;
    // abandon() may have taken it meanwhile.
    if (this.closing[0] === oldest) this.closing.shift();
    if (oldest.failure) throw oldest.failure.error;
    this.throwIfFailed();
    this.packs[oldest.name] = oldest.size;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

export class PackSegment extends Writable {
  readonly offset: number;
  length = 0;
  private readonly hash;
  private digest: string | undefined;

  constructor(
    private readonly pack: { name: string; writer: ObjectWriter; size: number },
    private readonly backupId: string,
    hashed: boolean,
    private readonly onDone: () => void,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.offset = pack.size;
    this.hash = hashed ? createHash('sha256') : undefined;
    // Abandoned or finished, the pack is free for the next segment.
    this.once('close', onDone);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const writer = this.pack.writer;
    if (writer.destroyed) {
      callback(writer.errored ?? new Error('pack output closed'));
      return;
    }
    this.pack.size += chunk.length;
    this.length += chunk.length;
    this.hash?.update(chunk);
    if (writer.write(chunk)) callback();
    else drained(writer).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.hash) this.digest = this.hash.digest('hex');
    this.onDone();
    callback();
  }

  /** Where the segment is; `sha256` must be given when the segment was not hashed. */
  ref(sha256?: string): ObjectRef {
    const digest = sha256 ?? this.digest;
    if (digest === undefined) throw new Error('segment digest unknown');
    return { backup: this.backupId, pack: this.pack.name, offset: this.offset, length: this.length, sha256: digest };
  }
}

/** A stored piece whose place in a pack is known once place() resolves. */
export interface Piece {
  place(): Promise<ObjectRef>;
}

/** A piece written straight into a pack as it was produced. */
export function placedPiece(segment: PackSegment, sha256?: string): Piece {
  const ref = segment.ref(sha256);
  return { place: async () => ref };
}

/**
 * A small file's output, kept in memory so several small files can be read
 * at once; appended to its pack later, in manifest order.
 */
export class MemorySegment extends Writable {
  readonly chunks: Buffer[] = [];
  length = 0;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.append(chunk);
    callback();
  }

  /** Adds bytes at once, without a stream's round trip (a piece produced whole). */
  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The piece this becomes in `pack`; `sha256` when known already (else hashed on the way). */
  piece(pack: PackWriter, sha256?: string): Piece {
    return {
      place: async () => {
        const segment = await pack.beginSegment(sha256 === undefined);
        try {
          for (const chunk of this.chunks) if (!segment.write(chunk)) await drained(segment);
          await endAndFinish(segment);
        } catch (err) {
          segment.destroy();
          throw err;
        }
        return segment.ref(sha256);
      },
    };
  }
}
