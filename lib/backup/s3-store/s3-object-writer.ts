// An ObjectWriter over lib-storage's Upload: what is written streams into
// the upload, which PUTs an object up to partSize in one request and a
// larger one as a multipart upload, `queueSize` parts in flight. Memory:
// at most partSize x (queueSize + 1) bytes per writer (the parts in flight
// and the one filling) plus two 1 MiB stream buffers: 16 MiB x 3 + 2 MiB =
// 50 MiB by default (uploadMemoryBound); 18 MiB for an object of one part; the body stream's backpressure
// holds the writer back meanwhile.
//
// The object is visible only complete: a PUT and a CompleteMultipartUpload
// are atomic. On any failure (or destroy()) the multipart upload is aborted
// once its parts have settled, so no stray upload (nor its billed parts)
// remains; settled() resolves after that.
import { PassThrough, Writable } from 'node:stream';
import { AbortMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ObjectWriter } from '../store';

export interface UploadTarget {
  client: S3Client;
  bucket: string;
  key: string;
  partSize: number;
  queueSize: number;
  /** Makes an SDK failure a typed error naming the key. */
  describe(err: unknown): Error;
}

/** Upload's fields that say what is still running; private in its types. */
interface UploadInternals {
  uploadId?: string;
  createMultiPartPromise?: Promise<unknown>;
  concurrentUploaders?: Promise<unknown>[];
}

export class S3ObjectWriter extends Writable implements ObjectWriter {
  private readonly body = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly upload: Upload;
  private readonly uploaded: Promise<void>;
  private settledPromise: Promise<void> | undefined;
  private finalizing = false;

  constructor(private readonly target: UploadTarget) {
    super({ highWaterMark: 1 << 20 });
    this.upload = new Upload({
      client: target.client,
      params: { Bucket: target.bucket, Key: target.key, Body: this.body },
      partSize: target.partSize,
      queueSize: target.queueSize,
      // We abort ourselves, once the parts in flight have finished (see settle()).
      leavePartsOnError: true,
    });
    this.uploaded = this.upload.done().then(() => undefined);
    // An upload failing while we still write stops reading the body: fail the writer then.
    this.uploaded.catch((err) => {
      if (!this.finalizing && !this.destroyed) this.destroy(this.target.describe(err));
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.body.write(chunk)) callback();
    else this.body.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finalizing = true;
    this.body.end();
    this.uploaded.then(
      () => callback(),
      (err) => {
        this.settledPromise ??= this.cleanUp();
        this.settledPromise.then(() => callback(this.target.describe(err)));
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.writableFinished) {
      this.settledPromise ??= this.cleanUp();
      void this.upload.abort();
      this.body.destroy();
    }
    callback(error);
  }

  /** Waits for what the Upload still runs, then aborts its multipart upload, if it made one. */
  private async cleanUp(): Promise<void> {
    const internals = this.upload as unknown as UploadInternals;
    await this.uploaded.catch(() => undefined);
    const created = (await internals.createMultiPartPromise?.catch(() => undefined)) as { UploadId?: string } | undefined;
    await Promise.allSettled(internals.concurrentUploaders ?? []);
    const uploadId = internals.uploadId ?? created?.UploadId;
    if (uploadId === undefined) return;
    // One try after the SDK's own retries; NoSuchUpload means it is gone already.
    await this.target.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: uploadId }))
      .catch(() => undefined);
  }

  settled(): Promise<void> {
    if (this.writableFinished) return Promise.resolve();
    if (this.settledPromise) return this.settledPromise;
    return new Promise((resolve) => {
      const done = () => resolve((this.settledPromise ?? Promise.resolve()).then(() => undefined));
      this.once('close', done);
      this.once('finish', done);
    });
  }
}
