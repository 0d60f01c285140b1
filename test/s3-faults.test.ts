// Backups and restores on an S3 store (the test Swift) through the fault
// proxy: connections dropped mid-body on GET, PUT and UploadPart, 500,
// 503 SlowDown, stalls past the store's idle timeout, targeted and at
// seeded random. Every run either succeeds with exact bytes or fails with
// a typed error (STORE_UNAVAILABLE, or BACKUP_CORRUPT for an object that
// changed mid-read); after each, with the faults off: only whole backups
// are listed, no lock or multipart upload is left, verify finds nothing,
// every committed backup restores exactly and the next backup works.
// LIBRSYNC_FAULT_SEED picks other random faults (a failure prints the seed).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BackupResult, backup, list, listFiles, restore, verify } from '../lib/backup';
import { S3Store } from '../lib/backup/s3-store';
import { MIN_PART_SIZE } from '../lib/backup/s3-store/s3-config';
import { backupPrefix } from '../lib/backup/store-keys';
import { LibrsyncError } from '../lib/errors';
import { CLI_PATH } from './support/cli';
import { randomBytesSeeded, scratchDir } from './support/files';
import { FaultProxy, FaultRule, startFaultProxy } from './support/swift/fault-proxy';
import { describeWithSwift, startSwift, SwiftServer } from './support/swift/swift-server';
import { TreeSnapshot, snapshotTree } from './support/tree-snapshot';

const NAME = 'data';
const PREFIX = 'host';
const MiB = 1 << 20;
/** fresh.bin, rewritten whole at every version, where a data pack must go up as a multipart upload (above one 5 MiB part). */
const MULTIPART = 6 * MiB;
/** fresh.bin elsewhere: one PUT per pack. */
const SINGLE = 1536 * 1024;
/** fresh.bin in the restore tests: reads long enough to drop or stall part-way. */
const RESTORED = 3 * MiB;
/** The store's idle timeout here: a stall longer than this fails the request (which is retried). */
const IDLE_MS = 1000;
const RANDOM_SEED = Number(process.env.LIBRSYNC_FAULT_SEED ?? 20261202);

const DATA_PACK = /\/d\d+\.pack$/;
const SINGLE_PUT = /\.pack\?(.*&)?x-id=PutObject/;
const UPLOAD_PART = (n: number) => new RegExp(`\\.pack\\?(.*&)?partNumber=${n}&`);
const MANIFEST = /\/manifest\.jsonl$/;

interface Scenario {
  bucket: string;
  url: string;
  store: S3Store;
  src: string;
  /** Size of fresh.bin, rewritten whole at every version. */
  freshBytes: number;
  version: number;
  /** Committed backups, oldest first ('chain-000001/000000-L0'), and the source as each saw it. */
  committed: string[];
  states: Map<string, TreeSnapshot>;
}

type Outcome = 'committed' | string;

describeWithSwift('backups and restores on S3 through a faulty network', () => {
  let swift: SwiftServer;
  let proxy: FaultProxy;
  let admin: S3Client;
  const scratch = scratchDir('librsync-s3-faults-');
  const stores: S3Store[] = [];
  let scenarios = 0;

  beforeAll(async () => {
    swift = await startSwift();
    admin = swift.s3();
    proxy = await startFaultProxy({ target: swift.endpoint, seed: RANDOM_SEED });
  });
  /** Where this test's requests begin in the proxy's records. */
  let firstRecord = 0;
  beforeEach(() => {
    firstRecord = proxy.records.length;
  });
  afterEach(() => proxy.clearRules());
  /** This test's faulted requests. */
  const faults = () => proxy.faults().filter((r) => r.seq > firstRecord);
  afterAll(async () => {
    try {
      for (const store of stores) store.destroy();
      admin?.destroy();
      await proxy?.close();
      scratch.remove();
    } finally {
      await swift?.stop();
    }
  });

  /** The store through the proxy: small retries and timeouts, 1 MiB packs, 5 MiB parts. */
  function storeAt(url: string): S3Store {
    const store = new S3Store(url, {
      endpoint: proxy.endpoint,
      credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
      maxAttempts: 3,
      idleTimeoutMs: IDLE_MS,
      partSize: MIN_PART_SIZE,
      concurrency: 2,
      lockTiming: { settleMs: 30 },
      packTargetBytes: MiB,
    });
    stores.push(store);
    return store;
  }

  /** 24 small files, one that is rewritten whole at every version, one added each time. */
  function writeVersion(sc: Scenario): void {
    const v = sc.version++;
    for (let d = 0; d < 2; d++) {
      mkdirSync(join(sc.src, `d${d}`), { recursive: true });
      for (let f = 0; f < 12; f++) {
        if (v === 0 || f % 4 === v % 4) writeFileSync(join(sc.src, `d${d}`, `f${f}`), randomBytesSeeded(500 + f * 200, v * 1000 + d * 100 + f + 1));
      }
    }
    writeFileSync(join(sc.src, 'fresh.bin'), randomBytesSeeded(sc.freshBytes, v * 1000 + 999));
    writeFileSync(join(sc.src, `v${v}.txt`), `version ${v}\n`);
  }

  /** A fresh bucket with one backup taken without faults. */
  async function freshScenario(freshBytes: number): Promise<Scenario> {
    const bucket = await swift.createBucket('faults');
    const url = `s3://${bucket}/${PREFIX}`;
    const sc: Scenario = { bucket, url, store: storeAt(url), src: scratch.path(`src-${++scenarios}`), freshBytes, version: 0, committed: [], states: new Map() };
    writeVersion(sc);
    await cleanBackup(sc);
    return sc;
  }

  function remember(sc: Scenario, result: BackupResult, state: TreeSnapshot): void {
    const key = `${result.chain}/${result.id}`;
    sc.committed.push(key);
    sc.states.set(key, state);
  }

  async function cleanBackup(sc: Scenario): Promise<BackupResult> {
    const state = snapshotTree(sc.src);
    const result = await backup(sc.src, sc.store, { name: NAME });
    remember(sc, result, state);
    return result;
  }

  /** A new version backed up under `rules`: 'committed', or the error's code (only the typed ones are accepted). */
  async function faultyBackup(sc: Scenario, rules: FaultRule[], allowed: string[] = ['STORE_UNAVAILABLE']): Promise<Outcome> {
    writeVersion(sc);
    const state = snapshotTree(sc.src);
    proxy.setRules(rules);
    try {
      const result = await backup(sc.src, sc.store, { name: NAME });
      remember(sc, result, state);
      return 'committed';
    } catch (err) {
      const code = (err as LibrsyncError).code;
      expect({ typed: err instanceof LibrsyncError, code, allowed: allowed.includes(code) }).toEqual({ typed: true, code, allowed: true });
      return (err as LibrsyncError).code;
    } finally {
      proxy.clearRules();
    }
  }

  /** Locks and unfinished multipart uploads left in the bucket. */
  async function leftovers(sc: Scenario): Promise<string[]> {
    const locks = await admin.send(new ListObjectsV2Command({ Bucket: sc.bucket, Prefix: `${PREFIX}/locks/` }));
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: sc.bucket }));
    return [...(locks.Contents ?? []).map((o) => o.Key!), ...(uploads.Uploads ?? []).map((u) => `multipart upload of ${u.Key}`)];
  }

  async function listed(sc: Scenario): Promise<{ backups: string[]; uncommitted: string[] }> {
    const names = (await list(sc.store, { name: NAME })).names;
    const chains = names[0]?.chains ?? [];
    return {
      backups: chains.flatMap((c) => c.backups.map((b) => `${c.chain}/${b.id}`)),
      uncommitted: chains.flatMap((c) => c.uncommitted.map((u) => `${c.chain}/${u}`)),
    };
  }

  /** Files in TARGET that are not exactly as in `expected` (a partial file at a final name). */
  function wrongFiles(target: string, expected: TreeSnapshot): string[] {
    let found: TreeSnapshot;
    try {
      found = snapshotTree(target);
    } catch {
      return [];
    }
    return Object.entries(found)
      .filter(([path, s]) => s.type !== 'dir' && (expected[path]?.sha256 !== s.sha256 || expected[path]?.size !== s.size))
      .map(([path]) => path);
  }

  /**
   * With the faults off: whole backups only, nothing left over, verify
   * clean, every committed backup exact; then the next backup commits and
   * restores exactly. `cleanupMayHaveFailed`: the failed run's own clean-up
   * met faults too, so its uncommitted objects may remain until the next
   * backup removes them.
   */
  async function expectIntact(sc: Scenario, where: string, cleanupMayHaveFailed = false): Promise<void> {
    proxy.clearRules();
    const seen = await listed(sc);
    expect({ where, backups: seen.backups }).toEqual({ where, backups: sc.committed });
    if (!cleanupMayHaveFailed) expect({ where, uncommitted: seen.uncommitted }).toEqual({ where, uncommitted: [] });
    expect({ where, leftovers: await leftovers(sc) }).toEqual({ where, leftovers: [] });
    const report = await verify(sc.store, {});
    expect({ where, ok: report.ok, problems: report.problems }).toEqual({ where, ok: true, problems: [] });
    for (const key of sc.committed) {
      const target = scratch.path(`intact-${sc.bucket}-${key.replace('/', '-')}-${Date.now()}`);
      await restore(sc.store, target, { backup: key });
      expect({ where, key, tree: snapshotTree(target) }).toEqual({ where, key, tree: sc.states.get(key) });
    }
    writeVersion(sc);
    const next = await cleanBackup(sc);
    const target = scratch.path(`next-${sc.bucket}-${next.id}`);
    await restore(sc.store, target, {});
    expect({ where, next: snapshotTree(target) }).toEqual({ where, next: sc.states.get(`${next.chain}/${next.id}`) });
    expect({ where, after: await leftovers(sc), ...(await listed(sc)) }).toEqual({ where, after: [], backups: sc.committed, uncommitted: [] });
  }

  /** How often each rule fired; a rule that never fired proves nothing. */
  function fired(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of faults()) counts[r.rule!] = (counts[r.rule!] ?? 0) + 1;
    return counts;
  }

  async function rejection(promise: Promise<unknown>): Promise<LibrsyncError> {
    try {
      await promise;
    } catch (err) {
      return err as LibrsyncError;
    }
    throw new Error('expected a failure, but it succeeded');
  }

  describe('backups', () => {
    test('a pack PUT and an UploadPart dropped mid-body, and 503 SlowDown twice, are retried: the backup commits exact bytes', async () => {
      const sc = await freshScenario(MULTIPART);
      const before = proxy.records.length;
      const outcome = await faultyBackup(sc, [
        { name: 'put dropped', method: 'PUT', path: SINGLE_PUT, times: 1, action: { kind: 'drop-request', afterBytes: 20_000 } },
        { name: 'part 1 dropped', method: 'PUT', path: UPLOAD_PART(1), times: 1, action: { kind: 'drop-request', afterBytes: 2 * MiB } },
        { name: 'part 2 dropped', method: 'PUT', path: UPLOAD_PART(2), times: 1, action: { kind: 'drop-request', afterBytes: 1000 } },
        { name: 'slow down', method: 'PUT', path: MANIFEST, times: 2, action: { kind: 'status', status: 503, code: 'SlowDown' } },
      ]);
      expect(outcome).toBe('committed');
      expect(fired()).toEqual({ 'put dropped': 1, 'part 1 dropped': 1, 'part 2 dropped': 1, 'slow down': 2 });
      // The part went up as a multipart upload: its parts are the proof.
      expect(proxy.records.slice(before).filter((r) => /partNumber=2&/.test(r.url) && r.outcome === 'forwarded').length).toBeGreaterThan(0);
      await expectIntact(sc, 'retried uploads');
    });

    test('an UploadPart dropped on every attempt: STORE_UNAVAILABLE, the multipart upload aborted, nothing committed', async () => {
      const sc = await freshScenario(MULTIPART);
      const outcome = await faultyBackup(sc, [{ name: 'part 2 dropped', method: 'PUT', path: UPLOAD_PART(2), action: { kind: 'drop-request', afterBytes: 100_000 } }]);
      expect(outcome).toBe('STORE_UNAVAILABLE');
      expect(fired()['part 2 dropped']).toBe(3); // maxAttempts
      await expectIntact(sc, 'part dropped every time');
    });

    test('500 on every PUT of a pack: STORE_UNAVAILABLE, nothing committed', async () => {
      const sc = await freshScenario(SINGLE);
      const outcome = await faultyBackup(sc, [{ name: '500', method: 'PUT', path: /\.pack$/, action: { kind: 'status', status: 500 } }]);
      expect(outcome).toBe('STORE_UNAVAILABLE');
      expect(fired()['500']).toBeGreaterThanOrEqual(3);
      await expectIntact(sc, '500 on packs');
    });

    test('503 SlowDown on every CompleteMultipartUpload: STORE_UNAVAILABLE, the upload aborted, nothing committed', async () => {
      const sc = await freshScenario(MULTIPART);
      const outcome = await faultyBackup(sc, [{ name: 'complete', method: 'POST', path: /\.pack\?(.*&)?uploadId=/, action: { kind: 'status', status: 503, code: 'SlowDown' } }]);
      expect(outcome).toBe('STORE_UNAVAILABLE');
      expect(fired().complete).toBe(3);
      await expectIntact(sc, 'complete refused');
    });

    test('a manifest PUT stalled past the idle timeout is retried; stalled every time it is STORE_UNAVAILABLE, nothing committed', async () => {
      const sc = await freshScenario(SINGLE);
      expect(await faultyBackup(sc, [{ name: 'stall once', method: 'PUT', path: MANIFEST, times: 1, action: { kind: 'stall' } }])).toBe('committed');
      expect(fired()['stall once']).toBe(1);
      expect(faults().map((r) => r.outcome)).toEqual(['client-closed']);
      const outcome = await faultyBackup(sc, [{ name: 'stall always', method: 'PUT', path: MANIFEST, action: { kind: 'stall' } }]);
      expect(outcome).toBe('STORE_UNAVAILABLE');
      expect(fired()['stall always']).toBe(3);
      await expectIntact(sc, 'manifest stalled');
    });

    test('the manifest stored but a 500 answered every time: STORE_UNAVAILABLE, and the manifest is not left committed', async () => {
      const sc = await freshScenario(SINGLE);
      const state = snapshotTree(sc.src);
      const outcome = await faultyBackup(sc, [{ name: 'answer lost', method: 'PUT', path: MANIFEST, action: { kind: 'status', status: 500, forward: true } }]);
      expect(fired()['answer lost']).toBe(3);
      expect(outcome).toBe('STORE_UNAVAILABLE');
      // A failed backup must not be listed: the run that reported the failure removes what it wrote.
      const seen = await listed(sc);
      if (seen.backups.length > sc.committed.length) {
        // Whole at least? (Said in the failure below.)
        const extra = seen.backups[seen.backups.length - 1];
        const target = scratch.path('reported-failed');
        await restore(sc.store, target, { backup: extra });
        const exact = JSON.stringify(snapshotTree(target)) === JSON.stringify(sc.states.get(extra) ?? state);
        throw new Error(`a backup reported as failed (STORE_UNAVAILABLE) is listed as committed: ${extra}, restoring ${exact ? 'exactly' : 'wrongly'}`);
      }
      await expectIntact(sc, 'manifest answer lost');
    });

    test('a lock that could not be removed (500 on its DELETE) does not block the next backup of this process', async () => {
      const sc = await freshScenario(SINGLE);
      const outcome = await faultyBackup(sc, [{ name: 'lock delete', method: 'DELETE', path: /\/locks\//, action: { kind: 'status', status: 500 } }]);
      expect(fired()['lock delete']).toBe(3);
      expect(outcome).toBe('committed');
      proxy.clearRules();
      // The lock left behind is this process's, released: the next backup must not be BACKUP_LOCKED by it.
      writeVersion(sc);
      await cleanBackup(sc);
      expect(await leftovers(sc)).toEqual([]);
    });
  });

  describe('restores', () => {
    let sc: Scenario;
    let newest: string;
    /** The data pack holding fresh.bin at level 0, and the block of it that holds its piece. */
    let pack: { key: string; offset: number; length: number; etag: string };
    /** Matches the reads of fresh.bin's piece, and of the rest of it after a resume. */
    let pieceRange: RegExp;

    beforeAll(async () => {
      sc = await freshScenario(RESTORED);
      newest = sc.committed[0];
      let entry;
      for await (const e of listFiles(sc.store, { level: 0 })) if (e.path === 'fresh.bin') entry = e;
      const step = entry!.recipe![0];
      const key = `${PREFIX}/backups/${backupPrefix(NAME, 'chain-000001', step.backup)}/${step.pack}`;
      const head = await admin.send(new HeadObjectCommand({ Bucket: sc.bucket, Key: key }));
      // The engine reads packs in aligned blocks (BlockCacheStore): fresh.bin's piece comes in the GET of the block holding it.
      const blockBytes = (sc.store as S3Store).readBlockBytes;
      const blockStart = Math.floor(step.offset / blockBytes) * blockBytes;
      const blockEnd = Math.min(head.ContentLength!, blockStart + blockBytes);
      expect(step.offset + step.length).toBeLessThanOrEqual(blockEnd); // one block holds the whole piece
      pack = { key, offset: blockStart, length: blockEnd - blockStart, etag: head.ETag! };
      pieceRange = new RegExp(`^bytes=\\d+-${blockEnd - 1}$`);
      // Its bytes as they read (stored in frames, a few bytes longer, when compressed or framed).
      expect(step.rawLength ?? step.length).toBe(RESTORED);
    });

    test('GETs dropped mid-body resume at the byte reached, on the same object (If-Match): exact files', async () => {
      const before = proxy.records.length;
      proxy.addRule({ name: 'get dropped', method: 'GET', path: DATA_PACK, range: pieceRange, times: 2, action: { kind: 'drop-response', afterBytes: MiB } });
      const target = scratch.path('resumed');
      await restore(sc.store, target, {});
      expect(snapshotTree(target)).toEqual(sc.states.get(newest));
      expect(fired()['get dropped']).toBe(2);
      // The reads of fresh.bin's block: the first from its start; each resumed one past where the one before
      // started, within the bytes it sent, on the same object (If-Match its ETag).
      const reads = proxy.records.slice(before).filter((r) => r.method === 'GET' && pieceRange.test(r.range ?? ''));
      const starts = reads.map((r) => Number(/^bytes=(\d+)-/.exec(r.range!)![1]));
      expect(reads.map((r) => r.outcome)).toEqual(['dropped', 'dropped', 'forwarded']);
      expect(starts[0]).toBe(pack.offset);
      for (const i of [1, 2]) {
        expect({ i, resumed: starts[i] > starts[i - 1], within: starts[i] <= starts[i - 1] + reads[i - 1].responseBytes, ifMatch: reads[i].ifMatch }).toEqual({
          i,
          resumed: true,
          within: true,
          ifMatch: pack.etag,
        });
      }
      // Nothing read twice but what a drop lost in flight.
      expect(reads[2].responseBytes).toBe(pack.offset + pack.length - starts[2]);
    });

    test('a GET stalled past the idle timeout is resumed: exact files', async () => {
      proxy.addRule({ name: 'get stalled', method: 'GET', path: DATA_PACK, range: pieceRange, times: 1, action: { kind: 'stall', at: 'response-body', afterBytes: 512 * 1024 } });
      const target = scratch.path('stalled');
      await restore(sc.store, target, {});
      expect(snapshotTree(target)).toEqual(sc.states.get(newest));
      expect(faults().map((r) => [r.rule, r.outcome])).toEqual([['get stalled', 'client-closed']]);
    });

    test('an object replaced while its read is stalled: BACKUP_CORRUPT, never spliced; no partial file; exact once it is back', async () => {
      const original = Buffer.from(await (await admin.send(new GetObjectCommand({ Bucket: sc.bucket, Key: pack.key }))).Body!.transformToByteArray());
      proxy.addRule({ name: 'stall', method: 'GET', path: DATA_PACK, range: pieceRange, times: 1, action: { kind: 'stall', at: 'response-body', afterBytes: 256 * 1024 } });
      const target = scratch.path('replaced');
      const restoring = rejection(restore(sc.store, target, {}));
      await proxy.waitForStalled(1, 30_000);
      const other = Buffer.from(original);
      other.fill(0x5a, pack.offset, pack.offset + pack.length);
      await admin.send(new PutObjectCommand({ Bucket: sc.bucket, Key: pack.key, Body: other }));
      try {
        const error = await restoring;
        expect([error.code, error.message]).toEqual(['BACKUP_CORRUPT', expect.stringMatching(/changed while it was being read/)]);
        expect(wrongFiles(target, sc.states.get(newest)!)).toEqual([]);
      } finally {
        await admin.send(new PutObjectCommand({ Bucket: sc.bucket, Key: pack.key, Body: original }));
      }
      await restore(sc.store, target, { overwrite: true });
      expect(snapshotTree(target)).toEqual(sc.states.get(newest));
    });

    test('500 on every GET of a pack: STORE_UNAVAILABLE, no partial file; with the faults off the restore is exact', async () => {
      proxy.addRule({ name: '500', method: 'GET', path: DATA_PACK, action: { kind: 'status', status: 500 } });
      const target = scratch.path('unavailable');
      const error = await rejection(restore(sc.store, target, {}));
      expect([error.code, error.message]).toEqual(['STORE_UNAVAILABLE', expect.stringMatching(/the object store is unavailable while reading /)]);
      expect(wrongFiles(target, sc.states.get(newest)!)).toEqual([]);
      proxy.clearRules();
      await expectIntact(sc, 'restore failed');
    });
  });

  test(`seeded random faults on every request (seed ${RANDOM_SEED}): each backup and restore exact or STORE_UNAVAILABLE; nothing harmed`, async () => {
    // Packs of 1 MiB, without multipart uploads (those have their own tests above): many more runs in the time.
    const sc = await freshScenario(SINGLE);
    const random: FaultRule[] = [
      // SlowDown is throttling, which the SDK backs off from 5 times longer (500 ms base): rarer, to keep the run short.
      // A quarter of the requests: most runs get through on the retries, some do not.
      { name: 'random SlowDown', probability: 0.03, action: { kind: 'status', status: 503, code: 'SlowDown' } },
      { name: 'random 503', probability: 0.07, action: { kind: 'status', status: 503 } },
      { name: 'random 500', probability: 0.04, action: { kind: 'status', status: 500 } },
      { name: 'random request drop', probability: 0.05, action: { kind: 'drop-request', afterBytes: 3000 } },
      { name: 'random response drop', probability: 0.06, action: { kind: 'drop-response', afterBytes: 2000 } },
    ];
    const outcomes: string[] = [];
    try {
      for (let run = 0; run < 3; run++) {
        const outcome = await faultyBackup(sc, random);
        outcomes.push(`backup ${run}: ${outcome}`);
        const key = sc.committed[sc.committed.length - 1];
        const target = scratch.path(`random-${run}`);
        proxy.setRules(random);
        try {
          await restore(sc.store, target, { backup: key });
          expect({ key, tree: snapshotTree(target) }).toEqual({ key, tree: sc.states.get(key) });
          outcomes.push(`restore ${run}: exact`);
        } catch (err) {
          expect({ key, code: (err as LibrsyncError).code }).toEqual({ key, code: 'STORE_UNAVAILABLE' });
          expect({ key, wrong: wrongFiles(target, sc.states.get(key)!) }).toEqual({ key, wrong: [] });
          outcomes.push(`restore ${run}: ${(err as LibrsyncError).code}`);
        } finally {
          proxy.clearRules();
        }
        await expectIntact(sc, `random run ${run}`, outcome !== 'committed');
      }
    } catch (err) {
      throw new Error(`with LIBRSYNC_FAULT_SEED=${RANDOM_SEED} (${outcomes.join('; ')}): ${(err as Error).message}`);
    }
    // eslint-disable-next-line no-console
    console.log(`random faults (seed ${RANDOM_SEED}): ${JSON.stringify(fired())}; ${outcomes.join('; ')}`);
    expect(Object.values(fired()).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  });

  describe('the CLI', () => {
    /** The CLI, asynchronously: the proxy runs in this process. */
    async function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
      const child = spawn(process.execPath, [CLI_PATH, ...args], {
        cwd: scratch.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: swift.accessKeyId,
          AWS_SECRET_ACCESS_KEY: swift.secretAccessKey,
          AWS_PROFILE: '',
          AWS_REGION: '',
          AWS_ENDPOINT_URL: '',
          AWS_ENDPOINT_URL_S3: '',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const [status] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      return { status, stdout, stderr };
    }

    test('backup and restore through dropped connections and 503s: exit 0, exact; 500 on every PUT: exit 100, STORE_UNAVAILABLE, nothing harmed', async () => {
      const sc = await freshScenario(SINGLE);
      const endpoint = ['--s3-endpoint', proxy.endpoint];
      writeVersion(sc);
      const state = snapshotTree(sc.src);
      proxy.setRules([
        { name: 'put dropped', method: 'PUT', path: /\.pack\?/, times: 1, action: { kind: 'drop-request', afterBytes: 50_000 } },
        { name: 'slow down', method: 'PUT', path: MANIFEST, times: 1, action: { kind: 'status', status: 503, code: 'SlowDown' } },
        { name: 'get dropped', method: 'GET', path: DATA_PACK, times: 1, action: { kind: 'drop-response', afterBytes: 100_000 } },
      ]);
      const backedUp = await cli(['backup', sc.src, sc.url, '--name', NAME, ...endpoint, '--json']);
      expect([backedUp.status, backedUp.stderr]).toEqual([0, '']);
      const summary = JSON.parse(backedUp.stdout);
      remember(sc, { chain: summary.chain, id: summary.id } as BackupResult, state);
      const target = scratch.path('cli-restored');
      const restored = await cli(['restore', sc.url, target, ...endpoint]);
      expect([restored.status, restored.stderr]).toEqual([0, '']);
      expect(snapshotTree(target)).toEqual(state);
      expect(fired()).toEqual({ 'put dropped': 1, 'slow down': 1, 'get dropped': 1 });

      writeVersion(sc);
      proxy.setRules([{ name: '500', method: 'PUT', path: /\.pack\?/, action: { kind: 'status', status: 500 } }]);
      const failed = await cli(['backup', sc.src, sc.url, '--name', NAME, ...endpoint, '--json']);
      proxy.clearRules();
      expect(failed.status).toBe(100);
      const out = JSON.parse(failed.stdout);
      expect([out.ok, out.error.code]).toEqual([false, 'STORE_UNAVAILABLE']);
      expect(failed.stdout + failed.stderr).not.toContain(swift.secretAccessKey);
      await expectIntact(sc, 'CLI');
    });
  });
});
