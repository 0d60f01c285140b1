// Many small objects in few store objects: the bytes of each stored file
// (or delta, or signature) are one segment appended to the current pack,
// found later by (pack, offset, length) and checked by SHA-256. Packs keep
// a tree of 100,000 files to a few store objects and a few fsyncs.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { ObjectRef } from './manifest';
import { BackupStore, ObjectWriter } from './store';
import { drained, endAndFinish } from './stream-waits';

/** A pack is closed at the first segment boundary past this size. */
export const PACK_TARGET_BYTES = 256 << 20;

export class PackWriter {
  /** Finished packs and their sizes. */
  readonly packs: Record<string, number> = {};
  private current: { name: string; writer: ObjectWriter; size: number } | undefined;
  private count = 0;
  private segmentOpen = false;

  constructor(
    private readonly store: BackupStore,
    /** Key prefix of the backup the packs belong to. */
    private readonly prefix: string,
    private readonly backupId: string,
    /** 'd' for data, 's' for signatures. */
    private readonly letter: string,
    private readonly targetBytes = PACK_TARGET_BYTES,
  ) {}

  get bytesWritten(): number {
    return Object.values(this.packs).reduce((a, b) => a + b, 0) + (this.current?.size ?? 0);
  }

  /** A Writable for the next segment; `hashed: false` when the caller knows the digest already. */
  async beginSegment(hashed = true): Promise<PackSegment> {
    if (this.segmentOpen) throw new Error('one segment at a time per pack writer');
    if (this.current && this.current.size >= this.targetBytes) await this.closeCurrent();
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

  /** Finishes the open pack: all packs are durable under their keys once this resolves. */
  async close(): Promise<void> {
    await this.closeCurrent();
  }

  /** Drops the open pack (a failed backup). */
  async abandon(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    if (open) {
      open.writer.destroy();
      await open.writer.settled();
    }
  }

  private async closeCurrent(): Promise<void> {
    const open = this.current;
    if (!open) return;
    this.current = undefined;
    try {
      await endAndFinish(open.writer);
    } catch (err) {
      await open.writer.settled();
      throw err;
    }
    this.packs[open.name] = open.size;
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
    this.chunks.push(chunk);
    this.length += chunk.length;
    callback();
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
