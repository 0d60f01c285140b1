// Reads an object (or a byte range of it) as a stream: one ranged GET whose
// body is passed on as it arrives, never the whole object first. The SDK
// retries whole requests; a connection that drops (or stalls) mid-body is
// ours to handle: the read resumes at the byte reached with a new ranged
// GET carrying If-Match on the first answer's ETag, so the bytes that
// follow are the same object's; a changed object (412) fails the read
// rather than splicing two versions. A body shorter than announced (a
// proxy rewriting Content-Length) is caught by counting against the size.
import { Readable } from 'node:stream';
import { GetObjectCommand, GetObjectCommandOutput, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LibrsyncError } from '../../errors';
import { ByteRange } from '../store';
import { isNotFound, isTransient, s3ErrorName, statusOf } from './s3-errors';

export interface ReadSource {
  client: S3Client;
  bucket: string;
  /** The object's full key in the bucket. */
  objectKey: string;
  /** The store key, for messages. */
  key: string;
  /** Resumes after drops mid-body in a row without a byte of progress. */
  maxResumes: number;
  /** A typed error; `transient` when the network or server failed (STORE_UNAVAILABLE). */
  describe(err: unknown, doing: string, transient?: boolean): Error;
}

const RESUME_DELAY_MS = 200;

export class S3RangeReader extends Readable {
  /** Next byte to read (absolute offset in the object). */
  private position: number;
  /** Exclusive end, once known (the range's, else the object's size). */
  private end: number | undefined;
  private etag: string | undefined;
  private body: Readable | undefined;
  private resumesWithoutProgress = 0;
  private reading = false;

  constructor(
    private readonly source: ReadSource,
    range?: ByteRange,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.position = range?.start ?? 0;
    this.end = range?.end;
  }

  override _read(): void {
    if (this.body) {
      this.body.resume();
      return;
    }
    if (this.reading) return;
    if (this.end !== undefined && this.position >= this.end) {
      this.push(null);
      return;
    }
    this.reading = true;
    this.request().then(
      (reply) => {
        this.reading = false;
        if (reply) this.follow(reply.Body as Readable);
        else this.push(null);
      },
      (err) => {
        this.reading = false;
        this.destroy(err as Error);
      },
    );
  }

  /** A GET from `position` (after the first, only of the same object). */
  private async request(): Promise<GetObjectCommandOutput | undefined> {
    const { client, bucket, objectKey, key } = this.source;
    const first = this.etag === undefined;
    // Always a range, even for the whole object: Content-Range then gives
    // the size, which a rewritten Content-Length cannot hide.
    const range = `bytes=${this.position}-${this.end === undefined ? '' : this.end - 1}`;
    let reply: GetObjectCommandOutput;
    try {
      reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey, Range: range, IfMatch: this.etag }));
    } catch (err) {
      // bytes=0- of an empty object is unsatisfiable: read it without a range.
      if (statusOf(err) === 416 && first && this.position === 0 && this.end === undefined) {
        this.end = 0;
        const empty = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey })).catch((e) => Promise.reject(this.source.describe(e, `reading ${key}`)));
        if ((empty.ContentLength ?? 0) === 0) return undefined;
        throw new LibrsyncError('BACKUP_CORRUPT', `store object ${key} changed while it was being read`);
      }
      if (isNotFound(err) && s3ErrorName(err) !== 'NoSuchBucket') throw new LibrsyncError('BACKUP_OBJECT_MISSING', `store object ${key} is missing`);
      if (statusOf(err) === 412) throw new LibrsyncError('BACKUP_CORRUPT', `store object ${key} changed while it was being read`);
      if (statusOf(err) === 416) {
        throw new LibrsyncError('BACKUP_CORRUPT', `store object ${key} ends before byte ${this.end ?? this.position}`);
      }
      throw this.source.describe(err, `reading ${key}`);
    }
    if (first) {
      this.etag = reply.ETag;
      const total = totalSize(reply);
      if (total !== undefined) {
        if (this.end !== undefined && this.end > total) {
          (reply.Body as Readable | undefined)?.destroy();
          throw new LibrsyncError('BACKUP_CORRUPT', `store object ${key} ends at byte ${total}, before ${this.end}`);
        }
        this.end ??= total;
      }
    }
    return reply;
  }

  private follow(body: Readable): void {
    this.body = body;
    body.on('data', (chunk: Buffer) => {
      let piece = chunk;
      if (this.end !== undefined && this.position + piece.length > this.end) piece = piece.subarray(0, this.end - this.position);
      this.position += piece.length;
      this.resumesWithoutProgress = 0;
      if (piece.length > 0 && !this.push(piece)) body.pause();
    });
    body.once('end', () => {
      this.body = undefined;
      if (this.end === undefined || this.position >= this.end) {
        this.push(null);
        return;
      }
      // Ended early without an error: the length was rewritten on the way.
      this.carryOn(new Error(`the body ended at byte ${this.position} of ${this.end}`));
    });
    body.once('error', (err) => {
      this.body = undefined;
      body.destroy();
      this.carryOn(err);
    });
  }

  /** Carries on after a dropped body, or gives up. */
  private carryOn(err: unknown): void {
    const transient = isTransient(err) || /ended at byte|aborted|socket/i.test(String((err as Error)?.message));
    if (this.destroyed) return;
    if (!transient || ++this.resumesWithoutProgress > this.source.maxResumes) {
      const tries = transient ? ` (${this.source.maxResumes} resumes without progress)` : '';
      this.destroy(this.source.describe(err, `reading ${this.source.key} at byte ${this.position}${tries}`, transient));
      return;
    }
    const delay = RESUME_DELAY_MS * 2 ** (this.resumesWithoutProgress - 1) * (0.5 + Math.random());
    setTimeout(() => this._read(), delay);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.body?.destroy();
    this.body = undefined;
    callback(error);
  }
}

/** The object's size, from Content-Range (bytes a-b/TOTAL) or, for a whole-object GET, Content-Length. */
function totalSize(reply: GetObjectCommandOutput): number | undefined {
  const match = /\/(\d+)$/.exec(reply.ContentRange ?? '');
  if (match) return Number(match[1]);
  return reply.ContentRange === undefined ? reply.ContentLength : undefined;
}
