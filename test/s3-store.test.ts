// The S3 store against a real S3 API (OpenStack Swift's s3api, started by
// the suite), through a fault-injecting proxy where failures are wanted.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { LibrsyncError } from '../lib/errors';
import { S3Store } from '../lib/backup/s3-store';
import { PlainStoreCheck } from '../lib/backup/encrypted-store/plain-store-check';
import { BlockCacheStore } from '../lib/backup/block-cache-store';
import { openStoreArgument } from '../lib/backup/open-store';
import { MIN_PART_SIZE } from '../lib/backup/s3-store/s3-config';
import { randomBytesSeeded } from './support/files';
import { FaultProxy, startFaultProxy } from './support/swift/fault-proxy';
import { describeWithSwift, startSwift, SwiftServer } from './support/swift/swift-server';

const MiB = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function put(store: S3Store, key: string, data: Buffer): Promise<void> {
  const writer = store.writeObject(key);
  await pipeline(Readable.from([data]), writer);
  await writer.settled();
}

async function rejection(promise: Promise<unknown>): Promise<LibrsyncError> {
  try {
    await promise;
  } catch (err) {
    return err as LibrsyncError;
  }
  throw new Error('expected a failure, but it succeeded');
}

describeWithSwift('S3Store on Swift', () => {
  let swift: SwiftServer;
  let admin: S3Client;
  const stores: S3Store[] = [];

  beforeAll(async () => {
    swift = await startSwift();
    admin = swift.s3();
  });
  afterAll(async () => {
    for (const store of stores) store.destroy();
    admin?.destroy();
    await swift?.stop();
  });

  function storeAt(url: string, options: ConstructorParameters<typeof S3Store>[1] = {}): S3Store {
    const store = new S3Store(url, {
      endpoint: swift.endpoint,
      credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
      ...options,
    });
    stores.push(store);
    return store;
  }

  async function freshStore(options: ConstructorParameters<typeof S3Store>[1] = {}): Promise<{ store: S3Store; bucket: string }> {
    const bucket = await swift.createBucket('store');
    const store = storeAt(`s3://${bucket}/team/backups`, options);
    await store.open({ create: true });
    return { store, bucket };
  }

  async function keysIn(bucket: string): Promise<string[]> {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (page.Contents ?? []).map((o) => o.Key!);
  }

  test('open: creates the marker (and a missing bucket), reopens, refuses what is not a store', async () => {
    const bucket = swift.bucketName('created');
    const store = storeAt(`s3://${bucket}/p`);
    expect((await rejection(store.open({ create: false }))).code).toBe('STORE_NOT_FOUND');
    await store.open({ create: true });
    expect(await keysIn(bucket)).toEqual(['p/librsync-backup.json']);
    const marker = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'p/librsync-backup.json' }));
    expect(await marker.Body!.transformToString()).toBe('{"format":"librsync-backup","version":2}\n');
    await storeAt(`s3://${bucket}/p/`).open({ create: false });
    await storeAt(`s3://${bucket}/p`).open({ create: true }); // twice: still the same store

    const empty = await rejection(storeAt(`s3://${bucket}/elsewhere`).open({ create: false }));
    expect([empty.code, empty.message]).toEqual(['BACKUP_NOT_FOUND', `s3://${bucket}/elsewhere at ${swift.endpoint}: no backup store there`]);
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/file', Body: 'x' }));
    expect((await rejection(storeAt(`s3://${bucket}/other`).open({ create: false }))).code).toBe('BACKUP_STORE_INVALID');
    const notEmpty = await rejection(storeAt(`s3://${bucket}/other`).open({ create: true }));
    expect([notEmpty.code, notEmpty.message]).toEqual(['BACKUP_STORE_INVALID', `s3://${bucket}/other at ${swift.endpoint} is not empty and not a backup store (no librsync-backup.json)`]);
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad/librsync-backup.json', Body: '{"format":"librsync-backup","version":9}' }));
    expect((await rejection(storeAt(`s3://${bucket}/bad`).open({ create: false }))).message).toMatch(/has store format version 9; this version reads 1 and 2$/);
    await swift.deleteBucket(bucket);
  });

  test('bad URLs and options are RS_PARAM_ERROR before any request', () => {
    expect(() => new S3Store('s3://Bad_Bucket/x')).toThrow(/invalid bucket name 'Bad_Bucket'/);
    expect(() => new S3Store('s3://key:secret@bucket/x')).toThrow("an s3:// store URL is s3://BUCKET/PREFIX, without credentials, query or fragment: 's3://***@bucket/x'");
    expect(() => new S3Store('s3://bucket/../x')).toThrow(/no '\.' or '\.\.' parts/);
    expect(() => new S3Store('s3://bucket/x', { endpoint: 'ftp://host' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => new S3Store('s3://bucket/x', { concurrency: 0 })).toThrow(/concurrency must be an integer of at least 1/);
    // An s3:// URL opens an S3Store, whose packs the engine reads in cached blocks (checked to be a plain store: no passphrase was given).
    const opened = openStoreArgument('s3://bucket/x');
    expect(opened).toBeInstanceOf(PlainStoreCheck);
    const cached = (opened as PlainStoreCheck).inner;
    expect(cached).toBeInstanceOf(BlockCacheStore);
    expect((cached as BlockCacheStore).inner).toBeInstanceOf(S3Store);
  });

  test('write, read, size, list, remove; sync is a no-op', async () => {
    const { store, bucket } = await freshStore();
    const data = randomBytesSeeded(300_000, 3);
    await put(store, 'chain-000001/packs/aa', data);
    await put(store, 'chain-000001/packs/ab', Buffer.from('second'));
    await put(store, 'chain-000001/manifest', Buffer.alloc(0));
    await put(store, 'chain-000002/x', Buffer.from('y'));
    expect(await readAll(store.readObject('chain-000001/packs/aa'))).toEqual(data);
    expect(await readAll(store.readObject('chain-000001/manifest'))).toEqual(Buffer.alloc(0));
    expect(await store.objectSize('chain-000001/packs/aa')).toBe(300_000);
    expect(await store.objectSize('chain-000001/manifest')).toBe(0);
    expect(await store.objectSize('chain-000001/nothing')).toBeUndefined();
    expect(await store.list('')).toEqual(['chain-000001', 'chain-000002']);
    expect(await store.list('chain-000001')).toEqual(['manifest', 'packs']);
    expect(await store.list('chain-000001/packs')).toEqual(['aa', 'ab']);
    expect(await store.list('nothing')).toEqual([]);
    await store.sync('chain-000001');
    const missing = await rejection(readAll(store.readObject('chain-000001/nothing')));
    expect([missing.code, missing.message]).toEqual(['BACKUP_OBJECT_MISSING', 'store object chain-000001/nothing is missing']);
    expect(() => store.readObject('../x')).toThrow("invalid store key '../x'");

    await store.remove('chain-000001/packs/aa');
    expect(await store.list('chain-000001/packs')).toEqual(['ab']);
    await store.remove('chain-000001');
    expect(await store.list('')).toEqual(['chain-000002']);
    expect(await keysIn(bucket)).toEqual(['team/backups/backups/chain-000002/x', 'team/backups/librsync-backup.json']);
    await store.remove('never-there');
  });

  test('listings that come in several pages, and remove in DeleteObjects batches, several of them', async () => {
    // Pages of 7 keys (S3's are 1000): list, remove and the locks follow continuation tokens.
    const client = swift.s3();
    const listings: number[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListObjectsV2Command') {
          (args.input as { MaxKeys?: number }).MaxKeys = 7;
          listings.push(1);
        }
        return next(args);
      },
      { step: 'initialize', name: 'smallListingPages' },
    );
    const { store, bucket } = await freshStore({ deleteBatch: 10, client, lockTiming: { settleMs: 30, readersWaitMs: 300 } });
    const keys = Array.from({ length: 25 }, (_, i) => `team/backups/backups/big/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '' }))));
    }
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((d) => admin.send(new PutObjectCommand({ Bucket: bucket, Key: `team/backups/backups/dirs/${d}/x`, Body: '' }))));
    listings.length = 0;
    expect(await store.list('big')).toEqual(keys.map((k) => k.slice(k.lastIndexOf('/') + 1)));
    expect(listings.length).toBe(4);
    expect(await store.list('dirs')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']); // prefixes across pages
    // A reader's lock on the second page of the locks (the first filled with other objects): a prune sees it.
    for (let i = 0; i < 7; i++) await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `team/backups/locks/!padding-${i}`, Body: '' }));
    const reader = await store.lock('reader');
    expect((await rejection(store.lock('exclusive'))).message).toMatch(/is being read by a restore or verify/);
    await reader.release();
    await (await store.lock('exclusive')).release();
    await store.remove('big');
    expect(await store.list('big')).toEqual([]);
    await store.remove('dirs');
    expect(await keysIn(bucket)).toEqual(['team/backups/librsync-backup.json', ...Array.from({ length: 7 }, (_, i) => `team/backups/locks/!padding-${i}`)]);
    client.destroy();
  });

  test('ranged reads: within, to the end, empty; past the end is BACKUP_CORRUPT', async () => {
    const { store } = await freshStore();
    const data = randomBytesSeeded(100_000, 5);
    await put(store, 'obj', data);
    expect(await readAll(store.readObject('obj', { start: 10, end: 20 }))).toEqual(data.subarray(10, 20));
    expect(await readAll(store.readObject('obj', { start: 99_000 }))).toEqual(data.subarray(99_000));
    expect(await readAll(store.readObject('obj', { start: 5, end: 5 }))).toEqual(Buffer.alloc(0));
    const past = await rejection(readAll(store.readObject('obj', { start: 99_990, end: 100_010 })));
    expect([past.code, past.message]).toEqual(['BACKUP_CORRUPT', 'store object obj ends at byte 100000, before 100010']);
  });

  test('a large object goes up as a multipart upload with parts in flight; reads back exact', async () => {
    const { store, bucket } = await freshStore({ partSize: MIN_PART_SIZE, concurrency: 3 });
    const data = randomBytesSeeded(17 * MiB, 7);
    const writer = store.writeObject('big');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    await pipeline(Readable.from((function* () {
      for (let i = 0; i < data.length; i += 256 * 1024) yield data.subarray(i, i + 256 * 1024);
    })()), writer);
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0); // the event loop kept answering
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: 'team/backups/backups/big' }));
    expect(head.ETag).toMatch(/-4"$/); // 4 parts of 5 MiB
    expect((await readAll(store.readObject('big'))).equals(data)).toBe(true);
    expect((await readAll(store.readObject('big', { start: 5 * MiB - 3, end: 5 * MiB + 3 }))).equals(data.subarray(5 * MiB - 3, 5 * MiB + 3))).toBe(true);
  });

  test('a writer destroyed mid-upload leaves no object and no multipart upload', async () => {
    const { store, bucket } = await freshStore({ partSize: MIN_PART_SIZE, concurrency: 2 });
    const writer = store.writeObject('half');
    const failed = new Promise((resolve) => writer.once('error', resolve));
    await new Promise<void>((resolve) => writer.write(randomBytesSeeded(12 * MiB, 9), () => resolve()));
    // The multipart upload exists (parts in flight or done): now the backup fails.
    for (let i = 0; i < 100 && ((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length).toBe(1);
    writer.destroy(new Error('backup failed'));
    expect(((await failed) as Error).message).toBe('backup failed');
    await writer.settled();
    expect(await store.objectSize('half')).toBeUndefined();
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  test('a writer or a prune, once it holds the store, aborts the multipart uploads a killed backup left; a reader does not', async () => {
    const { store, bucket } = await freshStore();
    const open = async (key: string) => {
      const created = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await admin.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId!, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));
    };
    const uploads = async () => ((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.Key).sort();
    await open('team/backups/backups/n/chain-000001/000000-L0/d-000001.pack'); // a killed backup's
    await open('elsewhere/d-000001.pack'); // not the store's
    expect(await uploads()).toEqual(['elsewhere/d-000001.pack', 'team/backups/backups/n/chain-000001/000000-L0/d-000001.pack']);
    const reader = await store.lock('reader');
    expect(await uploads()).toHaveLength(2);
    await reader.release();
    const writer = await store.lock('writer');
    expect(await uploads()).toEqual(['elsewhere/d-000001.pack']);
    await writer.release();
    await open('team/backups/backups/n/chain-000001/000001-L1/d-000001.pack');
    const exclusive = await store.lock('exclusive');
    expect(await uploads()).toEqual(['elsewhere/d-000001.pack']);
    await exclusive.release();
  });

  describe('locks', () => {
    test('two writers at once: exactly one wins; the other is BACKUP_LOCKED; release lets the next in', async () => {
      const { store } = await freshStore();
      const other = storeAt(store.location.split(' ')[0]);
      const results = await Promise.allSettled([store.lock('writer'), other.lock('writer')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won.length).toBe(1);
      expect(lost.map((r) => (r.reason as LibrsyncError).code)).toEqual(['BACKUP_LOCKED']);
      expect((lost[0].reason as Error).message).toMatch(/is locked by a backup \(process \d+ on .*, since .*\)/);
      await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
      const again = await store.lock('writer');
      await again.release();
    });

    test('conflict rules: readers with a writer; exclusive alone, waiting for readers', async () => {
      // The settle wait is for racing takers (the test above); here takers come one at a time.
      const { store } = await freshStore({ lockTiming: { readersWaitMs: 800, settleMs: 50 } });
      const writer = await store.lock('writer');
      const reader = await store.lock('reader');
      const reader2 = await store.lock('reader');
      expect((await rejection(store.lock('exclusive'))).code).toBe('BACKUP_LOCKED');
      await writer.release();
      const readersLeft = await rejection(store.lock('exclusive'));
      expect(readersLeft.message).toMatch(/is being read by a restore or verify/);
      await reader.release();
      setTimeout(() => void reader2.release(), 300);
      const exclusive = await store.lock('exclusive'); // waits for the last reader
      expect((await rejection(store.lock('reader'))).message).toMatch(/is locked by a prune/);
      expect((await rejection(store.lock('writer'))).code).toBe('BACKUP_LOCKED');
      await exclusive.release();
    });

    test('a stale lock (not refreshed in time, or of a dead process here) is taken over; a held one is refreshed', async () => {
      const { store, bucket } = await freshStore({ lockTiming: { refreshMs: 200, staleAfterMs: 1500, settleMs: 50 } });
      const lockKey = 'team/backups/locks/0123456789abcdef.json';
      const old = { id: '0123456789abcdef', pid: 1, host: 'elsewhere', since: new Date(Date.now() - 3600_000).toISOString(), kind: 'writer', refreshed: new Date(Date.now() - 3600_000).toISOString() };
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: lockKey, Body: JSON.stringify(old) }));
      const taken = await store.lock('writer');
      expect((await keysIn(bucket)).filter((k) => k.includes('/locks/')).length).toBe(1);
      expect(await keysIn(bucket)).not.toContain(lockKey);

      // Held: refreshed every 200 ms (three times in 700 ms), so never stale for a second taker.
      const [mine] = (await keysIn(bucket)).filter((k) => k.includes('/locks/'));
      const first = JSON.parse(await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: mine }))).Body!.transformToString());
      await new Promise((resolve) => setTimeout(resolve, 700));
      const later = JSON.parse(await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: mine }))).Body!.transformToString());
      expect(Date.parse(later.refreshed)).toBeGreaterThan(Date.parse(first.refreshed));
      expect((await rejection(storeAt(store.location.split(' ')[0], { lockTiming: { staleAfterMs: 1500, settleMs: 50 } }).lock('writer'))).code).toBe('BACKUP_LOCKED');
      await taken.release();
      expect((await keysIn(bucket)).filter((k) => k.includes('/locks/'))).toEqual([]);
    });
  });

  describe('through the fault proxy', () => {
    let proxy: FaultProxy;
    let bucket: string;
    const data = randomBytesSeeded(2 * MiB, 11);

    beforeAll(async () => {
      proxy = await startFaultProxy({ target: swift.endpoint, seed: 3 });
      ({ bucket } = await freshStore());
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'team/backups/backups/payload', Body: data }));
    });
    afterEach(() => proxy.clearRules());
    afterAll(async () => proxy?.close());

    const viaProxy = (options: ConstructorParameters<typeof S3Store>[1] = {}) => storeAt(`s3://${bucket}/team/backups`, { endpoint: proxy.endpoint, maxAttempts: 3, ...options });

    test('a read dropped mid-body resumes at the byte reached (If-Match), exact bytes', async () => {
      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 2, action: { kind: 'drop-response', afterBytes: 300_000 } });
      const got = await readAll(viaProxy().readObject('payload', { start: 1000 }));
      expect(got.equals(data.subarray(1000))).toBe(true);
      const gets = proxy.records.filter((r) => r.method === 'GET' && r.url.includes('/payload'));
      expect(gets.map((r) => r.outcome)).toEqual(['dropped', 'dropped', 'forwarded']);
    });

    test('a body cut short with a rewritten length resumes too; a changed object fails instead of splicing', async () => {
      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'truncate-response', afterBytes: 5000, declare: 'truncated' } });
      expect((await readAll(viaProxy().readObject('payload'))).equals(data)).toBe(true);

      proxy.addRule({ method: 'GET', path: /\/payload$/, times: 1, action: { kind: 'stall', at: 'response-body', afterBytes: 100_000 } });
      const reading = readAll(viaProxy({ idleTimeoutMs: 500 }).readObject('payload'));
      await proxy.waitForStalled(1);
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'team/backups/backups/payload', Body: randomBytesSeeded(2 * MiB, 12) }));
      const changed = await rejection(reading);
      expect([changed.code, changed.message]).toEqual(['BACKUP_CORRUPT', 'store object payload changed while it was being read']);
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'team/backups/backups/payload', Body: data }));
    });

    test('500 and 503 on every attempt: STORE_UNAVAILABLE after the retries', async () => {
      proxy.addRule({ method: 'HEAD', action: { kind: 'status', status: 500 } });
      const five = await rejection(viaProxy().objectSize('payload'));
      expect([five.code, five.result]).toEqual(['STORE_UNAVAILABLE', 100]);
      expect(five.message).toMatch(/the object store is unavailable while looking at payload after 3 attempts \(500/);
      proxy.clearRules();
      proxy.addRule({ method: 'PUT', action: { kind: 'status', status: 503, code: 'SlowDown' } });
      const writer = viaProxy().writeObject('slow');
      const slow = await rejection(pipeline(Readable.from([Buffer.from('x')]), writer));
      expect([slow.code, slow.message]).toEqual(['STORE_UNAVAILABLE', expect.stringMatching(/while writing slow after 3 attempts \(503 SlowDown\)/)]);
      expect(proxy.records.filter((r) => r.url.includes('/slow')).length).toBe(3);
    });

    test('one 503 is absorbed by a retry; a stall times out and is retried', async () => {
      proxy.addRule({ method: 'HEAD', times: 1, action: { kind: 'status', status: 503 } });
      expect(await viaProxy().objectSize('payload')).toBe(data.length);
      proxy.addRule({ method: 'HEAD', times: 1, action: { kind: 'stall' } });
      expect(await viaProxy({ idleTimeoutMs: 300 }).objectSize('payload')).toBe(data.length);
      proxy.addRule({ method: 'HEAD', action: { kind: 'stall' } });
      const stalled = await rejection(viaProxy({ idleTimeoutMs: 300, maxAttempts: 2 }).objectSize('payload'));
      expect([stalled.code, stalled.message]).toEqual(['STORE_UNAVAILABLE', expect.stringMatching(/unavailable while looking at payload after 2 attempts/)]);
    });

    test('a connection dropped on every upload: STORE_UNAVAILABLE, nothing stored', async () => {
      proxy.addRule({ method: 'PUT', path: /\/dropped$/, action: { kind: 'drop-request', afterBytes: 1000 } });
      const writer = viaProxy().writeObject('dropped');
      const error = await rejection(pipeline(Readable.from([randomBytesSeeded(100_000, 1)]), writer));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(await storeAt(`s3://${bucket}/team/backups`).objectSize('dropped')).toBeUndefined();
    });
  });

  test('wrong credentials: STORE_ACCESS_DENIED, and no secret in the message', async () => {
    const { store } = await freshStore();
    const secret = 'not-the-secret-5f3a9c';
    const wrong = storeAt(store.location.split(' ')[0], { credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: secret }, maxAttempts: 1 });
    const denied = await rejection(wrong.open({ create: false }));
    expect([denied.code, denied.result]).toEqual(['STORE_ACCESS_DENIED', 100]);
    expect(denied.message).toMatch(/access denied while listing the store|access denied while reading librsync-backup.json/);
    expect(denied.message).not.toContain(secret);
    expect(JSON.stringify({ message: denied.message })).not.toContain(secret);
  });

  test('a missing bucket: STORE_NOT_FOUND for every reading command', async () => {
    const store = storeAt(`s3://${swift.bucketName('absent')}/x`);
    const missing = await rejection(store.open({ create: false }));
    expect([missing.code, missing.result, missing.message]).toEqual(['STORE_NOT_FOUND', 100, expect.stringMatching(/: no such bucket \(404 NoSuchBucket\)$/)]);
    expect((await rejection(store.list(''))).code).toBe('STORE_NOT_FOUND');
  });
});
