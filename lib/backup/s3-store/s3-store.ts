// The store in an S3 bucket (Amazon S3, or an S3-compatible server: MinIO,
// Ceph, OpenStack Swift's s3api): s3://BUCKET/PREFIX holds the format
// marker PREFIX/librsync-backup.json (as the local store's), the store's
// keys below PREFIX/backups/ and the locks below PREFIX/locks/.
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListMultipartUploadsCommand,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { LibrsyncError, paramError } from '../../errors';
import { STORE_FORMAT_FILE } from '../local-store';
import { checkStoreMarker, storeMarkerText, upgradeNeeded } from '../store-marker';
import { BackupStore, ByteRange, LockKind, ObjectWriter, StoreLock } from '../store';
import { createS3Client, PARTS_IN_FLIGHT, ResolvedS3Options, resolveS3Options, S3StoreOptions } from './s3-config';
import { isNoSuchBucket, isNotFound, s3ErrorName, statusOf, storeError } from './s3-errors';
import { LockObjectIO, LockTiming, takeS3Lock } from './s3-lock';
import { S3ObjectWriter } from './s3-object-writer';
import { S3RangeReader } from './s3-range-reader';
import { formatS3Url, parseS3Url, S3Location } from './s3-url';

const DATA_DIR = 'backups';
const LOCKS_DIR = 'locks';
/** DeleteObjects takes at most 1000 keys a request. */
const DELETE_BATCH = 1000;

function checkKey(key: string): void {
  if (key !== '' && (key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..'))) {
    throw paramError(`invalid store key '${key}'`);
  }
}

export interface S3StoreConstructorOptions extends S3StoreOptions {
  /** Lock timings (tests); the defaults are restic's: refresh 5 min, stale after 30 min. */
  lockTiming?: LockTiming;
  /** A client of one's own (the store does not destroy it). */
  client?: S3Client;
  /** Keys per DeleteObjects request (at most 1000, S3's limit; tests use fewer). */
  deleteBatch?: number;
}

export class S3Store implements BackupStore {
  readonly location: string;
  readonly bucket: string;
  /** '' or 'PREFIX/': the store's root in the bucket. */
  private readonly root: string;
  readonly settings: ResolvedS3Options;
  readonly client: S3Client;
  private readonly ownClient: boolean;
  /** Hints to the engine (BackupStore): object-sized packs, several uploading at once. */
  readonly packTargetBytes: number;
  readonly uploadsInFlight: number;
  readonly readBlockBytes: number;
  /** Objects DeleteObjects could not delete in bulk on this server (501): one by one from then on. */
  private singleDeletes = false;

  constructor(
    url: string | S3Location,
    private readonly options: S3StoreConstructorOptions = {},
  ) {
    const where = typeof url === 'string' ? parseS3Url(url) : url;
    this.bucket = where.bucket;
    this.root = where.prefix ? `${where.prefix}/` : '';
    this.settings = resolveS3Options(options);
    this.location = formatS3Url(where) + (this.settings.endpoint ? ` at ${this.settings.endpoint}` : '');
    this.packTargetBytes = this.settings.packTargetBytes;
    this.uploadsInFlight = this.settings.concurrency;
    this.readBlockBytes = this.settings.readBlockBytes;
    this.client = options.client ?? createS3Client(this.settings);
    this.ownClient = options.client === undefined;
  }

  /** Closes the client's idle connections (a store is usable no more). */
  destroy(): void {
    if (this.ownClient) this.client.destroy();
  }

  private objectKey(key: string): string {
    checkKey(key);
    return key === '' ? `${this.root}${DATA_DIR}/` : `${this.root}${DATA_DIR}/${key}`;
  }

  private fail(err: unknown, doing: string, transient = false): Error {
    return storeError(err, doing, this.location, transient);
  }

  private async send<T>(command: object, doing: string): Promise<T> {
    try {
      return (await this.client.send(command as never)) as T;
    } catch (err) {
      throw this.fail(err, doing);
    }
  }

  async open({ create }: { create: boolean }): Promise<void> {
    const markerKey = `${this.root}${STORE_FORMAT_FILE}`;
    const text = await this.getText(markerKey, `reading ${STORE_FORMAT_FILE}`).catch((err: LibrsyncError) => {
      // No bucket: create() makes it; otherwise STORE_NOT_FOUND.
      if (create && err.code === 'STORE_NOT_FOUND') return undefined;
      throw err;
    });
    if (text === undefined) {
      if (!create) {
        if (await this.isEmpty()) throw new LibrsyncError('BACKUP_NOT_FOUND', `${this.location}: no backup store there`);
        throw new LibrsyncError('BACKUP_STORE_INVALID', `${this.location} is not a backup store (no ${STORE_FORMAT_FILE})`);
      }
      await this.create(markerKey);
      return;
    }
    const version = checkStoreMarker(text, this.location, `${this.location}: ${STORE_FORMAT_FILE}`);
    if (upgradeNeeded(version, create)) await this.putMarker(markerKey);
  }

  private async putMarker(markerKey: string): Promise<void> {
    await this.send(new PutObjectCommand({ Bucket: this.bucket, Key: markerKey, Body: storeMarkerText(), ContentType: 'application/json' }), `writing ${STORE_FORMAT_FILE}`);
  }

  /**
   * A new store: the bucket is created when missing (as restic does; a
   * bucket of someone else's answers 403 or 409), the prefix must hold
   * nothing yet, then the marker goes in. Two creators at once write the
   * same marker: the second PUT replaces it with the same bytes.
   */
  private async create(markerKey: string): Promise<void> {
    await this.ensureBucket();
    if (!(await this.isEmpty())) {
      throw new LibrsyncError('BACKUP_STORE_INVALID', `${this.location} is not empty and not a backup store (no ${STORE_FORMAT_FILE})`);
    }
    await this.putMarker(markerKey);
  }

  private async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (statusOf(err) !== 404 && !isNoSuchBucket(err)) throw this.fail(err, 'looking for the bucket');
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      // Made by a concurrent creator (or ours already, on a retried request).
      if (s3ErrorName(err) === 'BucketAlreadyOwnedByYou') return;
      throw this.fail(err, 'creating the bucket');
    }
  }

  /** Whether nothing is stored below the prefix; STORE_NOT_FOUND without a bucket. */
  private async isEmpty(): Promise<boolean> {
    const page = await this.send<ListObjectsV2CommandOutput>(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.root, MaxKeys: 1 }), 'listing the store');
    return (page.KeyCount ?? page.Contents?.length ?? 0) === 0 && (page.CommonPrefixes?.length ?? 0) === 0;
  }

  private async getText(objectKey: string, doing: string): Promise<string | undefined> {
    try {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return await reply.Body!.transformToString();
    } catch (err) {
      if (isNotFound(err) && !isNoSuchBucket(err)) return undefined;
      throw this.fail(err, doing);
    }
  }

  writeObject(key: string): ObjectWriter {
    const objectKey = this.objectKey(key);
    return new S3ObjectWriter({
      client: this.client,
      bucket: this.bucket,
      key: objectKey,
      partSize: this.settings.partSize,
      queueSize: PARTS_IN_FLIGHT,
      describe: (err) => this.fail(err, `writing ${key}`),
    });
  }

  readObject(key: string, range?: ByteRange): Readable {
    return new S3RangeReader(
      {
        client: this.client,
        bucket: this.bucket,
        objectKey: this.objectKey(key),
        key,
        maxResumes: this.settings.maxAttempts,
        describe: (err, doing, transient) => this.fail(err, doing, transient),
      },
      range,
    );
  }

  async objectSize(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return head.ContentLength ?? 0;
    } catch (err) {
      // HEAD has no body, so a missing bucket is a 404 too: told apart by the listing open() did.
      if (statusOf(err) === 404) return undefined;
      throw this.fail(err, `looking at ${key}`);
    }
  }

  /** Every page of a listing below `prefix` (full keys), with or without the delimiter. */
  private async *pages(prefix: string, delimiter: string | undefined, doing: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
        doing,
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(prefix: string): Promise<string[]> {
    const base = prefix === '' ? this.objectKey('') : `${this.objectKey(prefix)}/`;
    const names = new Set<string>();
    for await (const page of this.pages(base, '/', `listing ${prefix || 'the store'}`)) {
      for (const p of page.CommonPrefixes ?? []) names.add(p.Prefix!.slice(base.length, -1));
      for (const o of page.Contents ?? []) if (o.Key!.length > base.length) names.add(o.Key!.slice(base.length));
    }
    return [...names].sort();
  }

  async remove(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    const below = key === '' ? objectKey : `${objectKey}/`;
    let batch: string[] = key === '' ? [] : [objectKey];
    for await (const page of this.pages(below, undefined, `listing ${key || 'the store'} to remove it`)) {
      for (const o of page.Contents ?? []) {
        batch.push(o.Key!);
        if (batch.length === Math.min(DELETE_BATCH, this.options.deleteBatch ?? DELETE_BATCH)) {
          await this.deleteKeys(batch, key);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await this.deleteKeys(batch, key);
  }

  /** DeleteObjects in one request where the server has it; one DELETE each where it answers 501. */
  private async deleteKeys(keys: string[], key: string): Promise<void> {
    if (!this.singleDeletes) {
      try {
        const reply = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((k) => ({ Key: k })), Quiet: true } }),
        );
        const failed = (reply.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (failed.length > 0) {
          const first = failed[0];
          const code = first.Code === 'AccessDenied' ? 'STORE_ACCESS_DENIED' : 'RS_IO_ERROR';
          throw new LibrsyncError(code, `${this.location}: removing ${key}: ${failed.length} objects not deleted (${first.Code}: ${first.Key?.slice(this.root.length)})`);
        }
        return;
      } catch (err) {
        if (err instanceof LibrsyncError) throw err;
        if (statusOf(err) !== 501 && s3ErrorName(err) !== 'NotImplemented') throw this.fail(err, `removing ${key}`);
        this.singleDeletes = true;
      }
    }
    for (const k of keys) await this.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k }), `removing ${key}`);
  }

  /** Nothing to do: a PUT or CompleteMultipartUpload that succeeded is durable, and there are no directories. */
  async sync(_prefix: string): Promise<void> {
    return undefined;
  }

  lock(kind: LockKind = 'writer'): Promise<StoreLock> {
    const io: LockObjectIO = {
      location: this.location,
      prefix: `${this.root}${LOCKS_DIR}/`,
      put: async (key, text) => {
        await this.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: 'application/json' }), 'writing a lock');
      },
      get: (key) => this.getText(key, 'reading a lock'),
      list: async (prefix) => {
        const found: { key: string; lastModified?: Date }[] = [];
        for await (const page of this.pages(prefix, undefined, 'listing locks')) {
          for (const o of page.Contents ?? []) found.push({ key: o.Key!, lastModified: o.LastModified });
        }
        return found;
      },
      remove: async (key) => {
        await this.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), 'removing a lock');
      },
    };
    return takeS3Lock(io, kind, this.options.lockTiming).then(async (lock) => {
      if (kind !== 'reader') await this.abortStrayUploads();
      return lock;
    });
  }

  /**
   * Multipart uploads under the store's keys that nobody will complete: a
   * writer or a prune holds the store alone, so any still open is a killed
   * backup's (a process killed with SIGKILL cannot abort its own), whose
   * parts would otherwise stay stored, and billed, for good. Best effort:
   * a server without the listing leaves them to a lifecycle rule.
   */
  private async abortStrayUploads(): Promise<void> {
    const prefix = this.objectKey('');
    try {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
        for (const upload of page.Uploads ?? []) {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key!, UploadId: upload.UploadId! })).catch(() => undefined);
        }
        [keyMarker, uploadIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
      } while (keyMarker !== undefined);
    } catch {
      // Not listed here (501 on some servers): nothing to abort that we know of.
    }
  }
}
