// The stores the engine suite (test/backup-stores.test.ts) runs against.
// Adding a store is one entry in STORES: a name and create(), which makes
// a fresh, empty store each time it is called (the suite calls it once per
// scenario) and says how to remove it; a store served by something that
// must run first (a Swift) has start() and stop(), called once per test
// file around its scenarios.
import { readdirSync } from 'node:fs';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { LocalDirectoryStore } from '../../lib/backup';
import { S3Store } from '../../lib/backup/s3-store';
import { BackupStore } from '../../lib/backup/store';
import { CompressionMode } from '../../lib/backup/compression';
import { EncryptedStore } from '../../lib/backup/encrypted-store';
import { ScryptParams } from '../../lib/backup/encrypted-store/key-object';
import { scratchDir } from './files';
import { SlowStore } from './slow-store';
import { hasSwift, startSwift, SwiftServer } from './swift/swift-server';

export interface StoreUnderTest {
  /** What the engine functions are given: a store object, or a directory path. */
  store: BackupStore | string;
  /**
   * How the command line names this store (its arguments after SOURCE or
   * before TARGET, and any environment it needs), when the CLI can reach
   * it: the suite then also SIGKILLs a real backup process. Absent for a
   * store that exists only inside the test process.
   */
  cli?: { args: string[]; env?: NodeJS.ProcessEnv };
  /**
   * What a finished (or failed) run must not leave behind, other than its
   * committed backups and a killed run's uncommitted ones: temporary
   * files, locks, unfinished multipart uploads. Empty when clean.
   */
  leftovers(): Promise<string[]>;
  /** Removes the store and whatever serves it. */
  cleanup(): Promise<void>;
}

export interface StoreFactory {
  name: string;
  /** create() gives `cli`: the command line reaches this store. */
  cli?: boolean;
  /** How the suite's backups on this store compress (absent: the default, 'auto'): each mode runs over some store. */
  compression?: CompressionMode;
  /** What must be installed besides the native addon (the suite skips, or fails in CI, without it). */
  needs?: 'swift';
  /** Starts what serves the stores (once per test file, before the first create()). */
  start?(): Promise<void>;
  /** Stops it (once per test file, after the last cleanup(), whether or not start() succeeded). */
  stop?(): Promise<void>;
  create(): Promise<StoreUnderTest>;
}

/** The passphrase of the tests' encrypted stores. */
export const TEST_PASSWORD = 'correct horse battery staple';
/** Cheap scrypt for tests' keys (the default costs 128 MiB and about half a second each time a store is opened). */
export const TEST_KDF: ScryptParams = { N: 1 << 10, r: 8, p: 1 };

/** Temporary files and the lock file a local store must not keep once a run is over. */
function localLeftovers(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.tmp') || p === 'lock');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The Swift of this test file (the module registry is per file in jest), or undefined before start(). */
let swift: SwiftServer | undefined;

export const STORES: StoreFactory[] = [
  {
    name: 'local directory',
    cli: true,
    async create() {
      const scratch = scratchDir('librsync-store-local-');
      const root = scratch.path('store');
      return { store: root, cli: { args: [root] }, leftovers: async () => localLeftovers(root), cleanup: async () => scratch.remove() };
    },
  },
  {
    // Every object sealed and every name encrypted (lib/backup/encrypted-store),
    // over a local directory; the CLI gets the passphrase from the environment.
    // Its key uses cheap scrypt parameters, which the key object records.
    name: 'encrypted local directory',
    cli: true,
    async create() {
      const scratch = scratchDir('librsync-store-encrypted-');
      const root = scratch.path('store');
      const store = new EncryptedStore(new LocalDirectoryStore(root), { password: TEST_PASSWORD, encrypt: true, kdf: TEST_KDF });
      return { store, cli: { args: [root], env: { LIBRSYNC_PASSWORD: TEST_PASSWORD } }, leftovers: async () => localLeftovers(root), cleanup: async () => scratch.remove() };
    },
  },
  {
    name: 'local directory, uncompressed',
    cli: true,
    compression: 'off',
    async create() {
      const scratch = scratchDir('librsync-store-plain-');
      const root = scratch.path('store');
      return { store: root, cli: { args: [root] }, leftovers: async () => localLeftovers(root), cleanup: async () => scratch.remove() };
    },
  },
  {
    // Object-store-like: many packs, three finishing at once, each late.
    name: 'slow uploads (64 KiB packs, 3 in flight, compression max)',
    compression: 'max',
    async create() {
      const scratch = scratchDir('librsync-store-slow-');
      const root = scratch.path('store');
      const store = new SlowStore(root, { packTargetBytes: 64 << 10, uploadsInFlight: 3, finishDelayMs: 15 });
      return { store, leftovers: async () => localLeftovers(root), cleanup: async () => scratch.remove() };
    },
  },
  {
    // A real S3 API (OpenStack Swift's s3api), a fresh bucket per scenario.
    // The library's store cuts 64 KiB packs, 3 uploads in flight; the
    // CLI's (SIGKILL scenario) has the defaults a user gets.
    name: 'S3 (Swift; 64 KiB packs, 3 in flight)',
    cli: true,
    needs: 'swift',
    async start() {
      swift = await startSwift();
    },
    async stop() {
      const running = swift;
      swift = undefined;
      await running?.stop();
    },
    async create() {
      if (!swift) throw new Error('the S3 store factory was not started (start() in beforeAll)');
      const server = swift;
      const bucket = await server.createBucket('engine');
      const url = `s3://${bucket}/suite`;
      const store = new S3Store(url, {
        endpoint: server.endpoint,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        packTargetBytes: 64 << 10,
        concurrency: 3, // uploads in flight
        // One taker at a time here: the wait between writing a lock and
        // listing the others (300 ms, for racing takers) only adds up.
        lockTiming: { settleMs: 30 },
      });
      const admin = server.s3();
      return {
        store,
        cli: {
          args: [url, '--s3-endpoint', server.endpoint],
          // Only these credentials: nothing from the developer's own AWS set-up.
          env: {
            AWS_ACCESS_KEY_ID: server.accessKeyId,
            AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
            AWS_SESSION_TOKEN: '',
            AWS_PROFILE: '',
            AWS_REGION: '',
            AWS_ENDPOINT_URL: '',
            AWS_ENDPOINT_URL_S3: '',
            AWS_CONFIG_FILE: '/dev/null',
            AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          },
        },
        async leftovers() {
          const locks = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'suite/locks/' }));
          const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
          return [
            ...(locks.Contents ?? []).map((o) => o.Key!),
            ...(uploads.Uploads ?? []).map((u) => `multipart upload of ${u.Key}`),
          ];
        },
        async cleanup() {
          store.destroy();
          admin.destroy();
          await server.deleteBucket(bucket);
        },
      };
    },
  },
];

// The same real S3 API with every object sealed and every name encrypted:
// what a user who keeps backups on someone else's object storage runs.
{
  const s3 = STORES.find((f) => f.needs === 'swift')!;
  STORES.push({
    ...s3,
    name: 'encrypted S3 (Swift; 64 KiB packs, 3 in flight)',
    async create() {
      const under = await s3.create();
      const store = new EncryptedStore(under.store as BackupStore, { password: TEST_PASSWORD, encrypt: true, kdf: TEST_KDF });
      return { ...under, store, cli: { args: under.cli!.args, env: { ...under.cli!.env, LIBRSYNC_PASSWORD: TEST_PASSWORD } } };
    },
  });
}

/** Whether what a factory needs is installed (the suite skips, or fails in CI, otherwise). */
export function factoryAvailable(factory: StoreFactory): boolean {
  return factory.needs !== 'swift' || hasSwift;
}

/** The store object behind what the engine was given (a path means the local directory store). */
export function storeObject(store: BackupStore | string): BackupStore {
  return typeof store === 'string' ? new LocalDirectoryStore(store) : store;
}
