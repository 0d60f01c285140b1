// The all-in-one Swift of test/support/swift/ and its fault proxy, proven
// with the AWS SDK the object-storage code will use: what this Swift's S3
// API does and does not do (asserted, so we notice when that changes), how
// each injected fault reaches the SDK, and that no process or port outlives
// a Swift however its test process ends.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomBytesSeeded, scratchDir } from './support/files';
import { FaultProxy, startFaultProxy } from './support/swift/fault-proxy';
import { describeWithSwift, startSwift, swiftPython, SwiftServer } from './support/swift/swift-server';

const MiB = 1024 * 1024;
const SWIFT_AIO = join(__dirname, 'support', 'swift', 'swift-aio.py');

function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

async function bodyOf(s3: S3Client, Bucket: string, Key: string, Range?: string): Promise<Buffer> {
  const reply = await s3.send(new GetObjectCommand({ Bucket, Key, Range }));
  return Buffer.from(await reply.Body!.transformToByteArray());
}

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, but it succeeded');
}

/** Runs `worker` over items with `width` in flight. */
async function inParallel<T>(items: readonly T[], width: number, worker: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await worker(items[next++]);
    }),
  );
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /.test(stat); // a zombie is dead, only not reaped yet
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Local addresses of the TCP sockets listening on `port` (from /proc/net/tcp*). */
function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue; // 0A: LISTEN
      const [address, hexPort] = fields[1].split(':');
      if (parseInt(hexPort, 16) === port) found.push(address);
    }
  }
  return found;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every process and port of a Swift is gone. */
async function expectAllGone(info: { pids: Record<string, number>; supervisorPid: number; ports: Record<string, number> }): Promise<void> {
  const pids = [info.supervisorPid, ...Object.values(info.pids)];
  await waitUntil(`processes ${pids.join(' ')} to end`, () => pids.every((pid) => !alive(pid)));
  for (const port of Object.values(info.ports)) expect(await listening(port)).toBe(false);
}

describeWithSwift('all-in-one Swift with the S3 API', () => {
  let swift: SwiftServer;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    swift = await startSwift({ own: true });
    // eslint-disable-next-line no-console
    console.log(`Swift ready in ${swift.readyMs} ms at ${swift.endpoint}`);
    s3 = swift.s3();
    bucket = await swift.createBucket('basics');
  });
  afterAll(async () => {
    s3?.destroy();
    await swift?.stop();
  });

  test('serves on 127.0.0.1 only, with its own swift.conf and the middlewares the S3 API needs', async () => {
    for (const port of Object.values(swift.ports)) {
      expect(listenAddresses(port)).toEqual(['0100007F']); // 127.0.0.1, and nothing else
    }
    const health = await fetch(`${swift.endpoint}/healthcheck`);
    expect(health.status).toBe(200);
    const info = (await (await fetch(`${swift.endpoint}/info`)).json()) as Record<string, any>;
    // The policy of DIR/etc/swift.conf, not /etc/swift/swift.conf's (Debian ships "Policy-0").
    expect(info.swift.policies).toEqual([{ name: 'swift-aio', default: true, aliases: 'swift-aio' }]);
    for (const middleware of ['s3api', 'tempauth', 'slo', 'bulk_delete', 'tempurl']) expect(info).toHaveProperty([middleware]);
    expect(info.s3api.min_segment_size).toBe(5 * MiB); // S3's own minimum part size, so tests cannot rely on less
  });

  test('put, get, head, list and delete', async () => {
    const data = randomBytesSeeded(100_000, 11);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/one', Body: data }));
    expect(put.ETag).toBe(`"${md5(data)}"`);
    expect((await bodyOf(s3, bucket, 'dir/one')).equals(data)).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/one' }));
    expect([head.ContentLength, head.ETag]).toEqual([data.length, `"${md5(data)}"`]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size, o.ETag])).toEqual([['dir/one', data.length, `"${md5(data)}"`]]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/one' }));
    const gone = await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/one' })));
    expect([gone.name, gone.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/one' })));
    expect([missing.name, missing.$metadata?.httpStatusCode]).toEqual(['NoSuchKey', 404]);
  });

  // Pages of 1000 keys by default (the answer's MaxKeys says so), smaller
  // ones with MaxKeys: 120 keys prove the paging that 1001 did, in a
  // tenth of the PUTs.
  test('lists in pages: 1000 keys by default, small pages with MaxKeys, prefixes, delimiters and StartAfter', async () => {
    const many = await swift.createBucket('many');
    const keys = Array.from({ length: 120 }, (_, i) => `${i < 70 ? 'a' : 'b'}/${String(i).padStart(5, '0')}`);
    await inParallel(keys, 8, (Key) => s3.send(new PutObjectCommand({ Bucket: many, Key, Body: Buffer.alloc(0) })));

    const all = await s3.send(new ListObjectsV2Command({ Bucket: many }));
    expect([all.MaxKeys, all.KeyCount, all.IsTruncated, all.Contents?.map((o) => o.Key)]).toEqual([1000, 120, false, keys]);
    const first = await s3.send(new ListObjectsV2Command({ Bucket: many, MaxKeys: 100 }));
    expect([first.KeyCount, first.IsTruncated]).toEqual([100, true]);
    const second = await s3.send(new ListObjectsV2Command({ Bucket: many, MaxKeys: 100, ContinuationToken: first.NextContinuationToken }));
    expect([second.KeyCount, second.IsTruncated, second.Contents?.map((o) => o.Key)]).toEqual([20, false, keys.slice(100)]);

    const paged: string[] = [];
    let pages = 0;
    let page: ListObjectsV2CommandOutput | undefined;
    do {
      page = await s3.send(new ListObjectsV2Command({ Bucket: many, MaxKeys: 13, ContinuationToken: page?.NextContinuationToken }));
      pages++;
      paged.push(...(page.Contents ?? []).map((o) => o.Key!));
    } while (page.IsTruncated);
    expect(pages).toBe(Math.ceil(120 / 13));
    expect(paged).toEqual(keys); // in order, each once

    const top = await s3.send(new ListObjectsV2Command({ Bucket: many, Delimiter: '/' }));
    expect([top.CommonPrefixes?.map((p) => p.Prefix), top.Contents]).toEqual([['a/', 'b/'], undefined]);
    const topPaged = await s3.send(new ListObjectsV2Command({ Bucket: many, Delimiter: '/', MaxKeys: 1 }));
    expect([topPaged.CommonPrefixes?.map((p) => p.Prefix), topPaged.IsTruncated]).toEqual([['a/'], true]);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: many, Prefix: 'b/', StartAfter: 'b/00117' }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['b/00118', 'b/00119']);
    await swift.deleteBucket(many);
  });

  test('multipart upload with parts in flight together; ranges within and across parts', async () => {
    const data = randomBytesSeeded(12 * MiB + 1, 12);
    const proxy = await startFaultProxy({ target: swift.endpoint });
    const client = swift.s3({ endpoint: proxy.endpoint });
    try {
      const upload = new Upload({ client, params: { Bucket: bucket, Key: 'big', Body: data }, partSize: 5 * MiB, queueSize: 3 });
      await upload.done();
      const parts = proxy.records.filter((r) => r.method === 'PUT' && /[?&]partNumber=/.test(r.url));
      expect(parts.map((p) => [p.status, p.outcome])).toEqual(Array(3).fill([200, 'forwarded']));
      const overlapping = parts.some((p) => parts.some((q) => q !== p && q.at >= p.at && q.at < p.at + p.ms));
      expect(overlapping).toBe(true);
    } finally {
      client.destroy();
      await proxy.close();
    }
    const partMd5s = [0, 1, 2].map((i) => createHash('md5').update(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)).digest());
    const etag = `"${md5(Buffer.concat(partMd5s))}-3"`; // S3's multipart ETag
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big' }));
    expect([head.ContentLength, head.ETag]).toEqual([data.length, etag]);
    expect((await bodyOf(s3, bucket, 'big')).equals(data)).toBe(true);

    const ranges: Array<[number, number]> = [
      [100, 199], // inside part 1
      [5 * MiB - 100, 5 * MiB + 99], // across parts 1 and 2
      [5 * MiB - 1, 10 * MiB], // across all three
      [12 * MiB, 12 * MiB], // the last byte, alone in part 3
    ];
    for (const [first, last] of ranges) {
      const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big', Range: `bytes=${first}-${last}` }));
      expect(reply.ContentRange).toBe(`bytes ${first}-${last}/${data.length}`);
      expect(Buffer.from(await reply.Body!.transformToByteArray()).equals(data.subarray(first, last + 1))).toBe(true);
    }
    expect((await bodyOf(s3, bucket, 'big', 'bytes=-10')).equals(data.subarray(data.length - 10))).toBe(true);
    // Not in this Swift: reading one part by its number (S3 answers 206 with that part).
    const byPart = await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big', PartNumber: 2 })));
    expect(byPart.$metadata?.httpStatusCode).toBe(405);
  });

  test('copy within a bucket, across buckets, and of a multipart object', async () => {
    const data = randomBytesSeeded(300_000, 13);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'source', Body: data }));
    const other = await swift.createBucket('copies');
    const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/source` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5(data)}"`);
    await s3.send(new CopyObjectCommand({ Bucket: other, Key: 'nested/copy', CopySource: `${bucket}/source` }));
    expect((await bodyOf(s3, bucket, 'copy')).equals(data)).toBe(true);
    expect((await bodyOf(s3, other, 'nested/copy')).equals(data)).toBe(true);

    const big = randomBytesSeeded(10 * MiB + 5, 14);
    await new Upload({ client: s3, params: { Bucket: bucket, Key: 'mp-source', Body: big }, partSize: 5 * MiB }).done();
    const source = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mp-source' }));
    const mpCopy = await s3.send(new CopyObjectCommand({ Bucket: other, Key: 'mp-copy', CopySource: `${bucket}/mp-source` }));
    // This Swift keeps the source's multipart ETag on the copy.
    expect(mpCopy.CopyObjectResult?.ETag).toBe(source.ETag);
    expect((await bodyOf(s3, other, 'mp-copy')).equals(big)).toBe(true);
    await swift.deleteBucket(other);
  });

  test('DeleteObjects needs Content-MD5, which the configured client sends and a stock one does not', async () => {
    for (const key of ['x1', 'x2', 'x3']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(key) }));
    for (const requestChecksumCalculation of ['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const) {
      const stock = new S3Client({
        endpoint: swift.endpoint,
        region: swift.region,
        credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
        forcePathStyle: true,
        requestChecksumCalculation,
      });
      const refused = await failure(stock.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'x1' }] } })));
      stock.destroy();
      expect([refused.name, refused.$metadata?.httpStatusCode, refused.message]).toEqual([
        'InvalidRequest',
        400,
        'Missing required header for this request: Content-MD5',
      ]);
    }
    const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ['x1', 'x2', 'x3', 'never-was'].map((Key) => ({ Key })) } }));
    expect(deleted.Deleted?.map((d) => d.Key).sort()).toEqual(['never-was', 'x1', 'x2', 'x3']); // S3 reports missing keys as deleted too
    expect(deleted.Errors).toBeUndefined();
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'x' }));
    expect(left.KeyCount).toBe(0);
  });

  test('conditional PUT If-None-Match: * is answered 501 NotImplemented and changes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: Buffer.from('first') }));
    const refused = await failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: Buffer.from('second'), IfNoneMatch: '*' })));
    expect([refused.name, refused.$metadata?.httpStatusCode]).toEqual(['NotImplemented', 501]);
    const fresh = await failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'never-put', Body: Buffer.from('x'), IfNoneMatch: '*' })));
    expect([fresh.name, fresh.$metadata?.httpStatusCode]).toEqual(['NotImplemented', 501]);
    expect((await bodyOf(s3, bucket, 'once')).toString()).toBe('first');
  });

  test('streamed PUTs work with checksums WHEN_REQUIRED; the SDK default sends aws-chunked, answered 501', async () => {
    const data = randomBytesSeeded(200_000, 15);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'streamed', Body: Readable.from([data]), ContentLength: data.length }));
    expect((await bodyOf(s3, bucket, 'streamed')).equals(data)).toBe(true);
    const stock = new S3Client({
      endpoint: swift.endpoint,
      region: swift.region,
      credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
      forcePathStyle: true,
    });
    const refused = await failure(stock.send(new PutObjectCommand({ Bucket: bucket, Key: 'chunked', Body: Readable.from([data]), ContentLength: data.length })));
    stock.destroy();
    expect([refused.name, refused.$metadata?.httpStatusCode, refused.message]).toEqual([
      'NotImplemented',
      501,
      'Transfering payloads in multiple chunks using aws-chunked is not supported.',
    ]);
  });

  describe('through the fault proxy', () => {
    let proxy: FaultProxy;
    let faulty: S3Client;
    const data = randomBytesSeeded(1 * MiB, 16);

    beforeAll(async () => {
      proxy = await startFaultProxy({ target: swift.endpoint, seed: 7 });
      faulty = swift.s3({ endpoint: proxy.endpoint });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'payload', Body: data }));
    });
    afterEach(() => proxy.clearRules());
    afterAll(async () => {
      faulty?.destroy();
      await proxy?.close();
    });

    const recordsFor = (key: string) => proxy.records.filter((r) => r.url.split('?')[0].endsWith(`/${key}`));

    test('one 503 with Retry-After is absorbed by the SDK retrying', async () => {
      const rule = proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'status', status: 503, retryAfter: 1 } });
      const reply = await faulty.send(new GetObjectCommand({ Bucket: bucket, Key: 'payload' }));
      expect(Buffer.from(await reply.Body!.transformToByteArray()).equals(data)).toBe(true);
      expect(reply.$metadata.attempts).toBe(2);
      expect(rule.applied).toBe(1);
      expect(recordsFor('payload').slice(-2).map((r) => [r.status, r.outcome])).toEqual([
        [503, 'answered'],
        [200, 'forwarded'],
      ]);
    });

    test('500 on every attempt: InternalError once the SDK has tried 3 times; nothing stored', async () => {
      proxy.addRule({ method: 'PUT', path: /\/five-hundred$/, action: { kind: 'status', status: 500 } });
      const error = await failure(faulty.send(new PutObjectCommand({ Bucket: bucket, Key: 'five-hundred', Body: data })));
      expect([error.name, error.$metadata?.httpStatusCode, error.$metadata?.attempts]).toEqual(['InternalError', 500, 3]);
      expect(recordsFor('five-hundred').map((r) => r.outcome)).toEqual(['answered', 'answered', 'answered']);
      const head = await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'five-hundred' })));
      expect(head.$metadata?.httpStatusCode).toBe(404);
    });

    test('503 after Swift stored the object: the client sees ServiceUnavailable, the object is there', async () => {
      proxy.addRule({ method: 'PUT', path: /\/ambiguous$/, action: { kind: 'status', status: 503, forward: true } });
      const once = swift.s3({ endpoint: proxy.endpoint, maxAttempts: 1 });
      const error = await failure(once.send(new PutObjectCommand({ Bucket: bucket, Key: 'ambiguous', Body: data })));
      once.destroy();
      expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['ServiceUnavailable', 503]);
      expect((await bodyOf(s3, bucket, 'ambiguous')).equals(data)).toBe(true);
    });

    test('a response dropped mid-body fails the read of the body', async () => {
      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'drop-response', afterBytes: 64 * 1024 } });
      const reply = await faulty.send(new GetObjectCommand({ Bucket: bucket, Key: 'payload' }));
      expect(reply.ContentLength).toBe(data.length);
      const error = await failure(reply.Body!.transformToByteArray());
      expect([error.name, error.code, error.message]).toEqual(['Error', 'ECONNRESET', 'aborted']);
      const [record] = recordsFor('payload').slice(-1);
      expect([record.outcome, record.responseBytes]).toEqual(['dropped', 64 * 1024]);
    });

    test('a request dropped mid-body is retried from the buffer; a partial body is never stored', async () => {
      proxy.addRule({ method: 'PUT', path: /\/dropped-once$/, times: 1, action: { kind: 'drop-request', afterBytes: 100_000 } });
      const put = await faulty.send(new PutObjectCommand({ Bucket: bucket, Key: 'dropped-once', Body: data }));
      expect(put.$metadata.attempts).toBe(2);
      expect(recordsFor('dropped-once').map((r) => [r.outcome, r.requestBytes])).toEqual([
        ['dropped', 100_000],
        ['forwarded', data.length],
      ]);
      expect((await bodyOf(s3, bucket, 'dropped-once')).equals(data)).toBe(true);

      proxy.addRule({ method: 'PUT', path: /\/dropped-always$/, action: { kind: 'drop-request', afterBytes: 100_000 } });
      const error = await failure(faulty.send(new PutObjectCommand({ Bucket: bucket, Key: 'dropped-always', Body: data })));
      expect([error.name, error.message, error.$metadata?.attempts]).toEqual(['Error', 'AWS SDK error wrapper for TimeoutError: read ECONNRESET', 3]);
      const head = await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dropped-always' })));
      expect(head.$metadata?.httpStatusCode).toBe(404);
    });

    test('a stall longer than the socket timeout is a TimeoutError; release() lets a stalled request finish', async () => {
      proxy.addRule({ method: 'HEAD', path: /\/payload$/, times: 1, action: { kind: 'stall' } });
      // In this SDK requestTimeout only warns (unless throwOnRequestTimeout); socketTimeout (idle) fails the request.
      const impatient = swift.s3({ endpoint: proxy.endpoint, maxAttempts: 1, requestHandler: { socketTimeout: 300 } });
      const error = await failure(impatient.send(new HeadObjectCommand({ Bucket: bucket, Key: 'payload' })));
      impatient.destroy();
      expect(error.name).toBe('TimeoutError');
      await waitUntil('the proxy to see the client leave', () => recordsFor('payload').slice(-1)[0].outcome === 'client-closed');
      expect(proxy.stalled).toBe(0);

      proxy.addRule({ method: 'HEAD', path: /\/payload$/, times: 1, action: { kind: 'stall' } });
      const pending = faulty.send(new HeadObjectCommand({ Bucket: bucket, Key: 'payload' }));
      await proxy.waitForStalled(1);
      proxy.release();
      expect((await pending).ContentLength).toBe(data.length);
    });

    test('a stall of N ms mid-body delays the body and loses nothing', async () => {
      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'stall', ms: 400, at: 'response-body', afterBytes: 1000 } });
      const started = Date.now();
      expect((await bodyOf(faulty, bucket, 'payload')).equals(data)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(recordsFor('payload').slice(-1)[0]).toMatchObject({ fault: 'stall', outcome: 'forwarded', responseBytes: data.length });
    });

    test('a truncated body: an error when the length says more, silence when the length is rewritten', async () => {
      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'truncate-response', afterBytes: 5000 } });
      const short = await faulty.send(new GetObjectCommand({ Bucket: bucket, Key: 'payload' }));
      const error = await failure(short.Body!.transformToByteArray());
      expect([error.name, error.code, error.message]).toEqual(['Error', 'ECONNRESET', 'aborted']);

      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'truncate-response', afterBytes: 5000, declare: 'truncated' } });
      const quiet = await faulty.send(new GetObjectCommand({ Bucket: bucket, Key: 'payload' }));
      const body = Buffer.from(await quiet.Body!.transformToByteArray());
      // The SDK accepts it: only comparing with the ETag (or a length known beforehand) catches it.
      expect([quiet.ContentLength, body.length, body.equals(data.subarray(0, 5000))]).toEqual([5000, 5000, true]);
      expect(quiet.ETag).toBe(`"${md5(data)}"`);
      expect(`"${md5(body)}"`).not.toBe(quiet.ETag);
    });

    test('nth and seeded probability pick the same requests on every run', async () => {
      const outcomes = async (rule: Parameters<FaultProxy['addRule']>[0], seed: number) => {
        const local = await startFaultProxy({ target: swift.endpoint, seed });
        const client = swift.s3({ endpoint: local.endpoint, maxAttempts: 1 });
        local.addRule(rule);
        const seen: number[] = [];
        for (let i = 0; i < 16; i++) {
          seen.push(await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'payload' })).then(() => 200, (e) => e.$metadata.httpStatusCode));
        }
        client.destroy();
        await local.close();
        return seen;
      };
      const fault = { kind: 'status', status: 503 } as const;
      expect(await outcomes({ method: 'HEAD', nth: [2, 5], action: fault }, 1)).toEqual([200, 503, 200, 200, 503, ...Array(11).fill(200)]);
      const a = await outcomes({ method: 'HEAD', probability: 0.5, action: fault }, 42);
      const b = await outcomes({ method: 'HEAD', probability: 0.5, action: fault }, 42);
      const c = await outcomes({ method: 'HEAD', probability: 0.5, action: fault }, 43);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      expect(a.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(a.filter((s) => s === 200).length).toBeGreaterThan(0);
    });

    test('rules switch at run time', async () => {
      const once = swift.s3({ endpoint: proxy.endpoint, maxAttempts: 1 });
      const head = () => once.send(new HeadObjectCommand({ Bucket: bucket, Key: 'payload' })).then(() => 200, (e) => e.$metadata.httpStatusCode);
      expect(await head()).toBe(200);
      const rule = proxy.addRule({ method: 'HEAD', action: { kind: 'status', status: 500 } });
      expect(await head()).toBe(500);
      rule.remove();
      expect(await head()).toBe(200);
      proxy.setRules([{ method: 'HEAD', action: { kind: 'status', status: 503 } }]);
      expect(await head()).toBe(503);
      proxy.clearRules();
      expect(await head()).toBe(200);
      once.destroy();
    });
  });

  test('stop() ends every process, frees every port and removes its directory', async () => {
    const { dir } = swift;
    await swift.stop();
    await expectAllGone(swift);
    expect(existsSync(dir)).toBe(false);
  });
});

describeWithSwift('a Swift outlives nothing', () => {
  test('a test process killed with SIGKILL takes its Swift with it', async () => {
    // A stand-in for a jest worker: starts Swift as startSwift() does, then is killed.
    const worker = spawn(process.execPath, ['-e', `
      const { spawn } = require('node:child_process');
      const aio = spawn(process.argv[1], [process.argv[2], 'run', '--watch-stdin'], { stdio: ['pipe', 'inherit', 'inherit'] });
      setInterval(() => {}, 1000);
    `, swiftPython()!, SWIFT_AIO], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      worker.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      worker.once('exit', () => reject(new Error(`the worker died first: ${out}`)));
    });
    const info = JSON.parse(line);
    expect(info.event).toBe('ready');
    expect(await listening(info.ports.proxy)).toBe(true);
    worker.kill('SIGKILL');
    await expectAllGone(info);
    await waitUntil('its temporary directory to go', () => !existsSync(info.dir));
  });

  test('the CLI: start is idempotent, stop reaps what a killed supervisor left, bad directories are refused', async () => {
    const scratch = scratchDir('librsync-swift-cli-');
    const dir = join(scratch.dir, 'aio');
    const python = swiftPython()!;
    const cli = (...args: string[]) => spawnSync(python, [SWIFT_AIO, ...args], { encoding: 'utf8', timeout: 90_000 });
    try {
      const started = cli('start', dir);
      expect([started.status, started.stderr]).toEqual([0, '']);
      const info = JSON.parse(started.stdout);
      const again = cli('start', dir);
      expect([again.status, JSON.parse(again.stdout).supervisorPid]).toEqual([0, info.supervisorPid]);
      const status = cli('status', dir);
      expect([status.status, JSON.parse(status.stdout).endpoint]).toEqual([0, info.endpoint]);
      const inUse = cli('run', dir);
      expect([inUse.status, inUse.stderr]).toEqual([2, `swift-aio: Swift already runs in ${dir} (supervisor pid ${info.supervisorPid})\n`]);

      process.kill(info.supervisorPid, 'SIGKILL');
      // Its servers die with it (PR_SET_PDEATHSIG).
      await expectAllGone(info);
      const dead = cli('status', dir);
      expect([dead.status, dead.stdout]).toEqual([3, `swift-aio: Swift is not running in ${dir}\n`]);
      const reaped = cli('stop', dir);
      expect([reaped.status, reaped.stdout]).toEqual([0, `swift-aio: Swift in ${dir} had lost its supervisor; killed what was left\n`]);
      const twice = cli('stop', dir);
      expect([twice.status, twice.stdout]).toEqual([3, `swift-aio: Swift is not running in ${dir}\n`]);
      expect(existsSync(join(dir, 'log', 'proxy.log'))).toBe(true); // a given DIR is kept, logs included

      writeFileSync(join(scratch.dir, 'precious'), 'not ours');
      const foreign = cli('run', scratch.dir);
      expect([foreign.status, foreign.stderr]).toEqual([
        2,
        `swift-aio: ${scratch.dir} is not empty and was not made by swift-aio.py: give a new or empty directory\n`,
      ]);
      const notOurs = cli('stop', scratch.dir);
      expect([notOurs.status, notOurs.stderr]).toEqual([2, `swift-aio: ${scratch.dir} is not a swift-aio directory\n`]);
      expect(readFileSync(join(scratch.dir, 'precious'), 'utf8')).toBe('not ours');
    } finally {
      cli('stop', dir);
      scratch.remove();
    }
  });
});
