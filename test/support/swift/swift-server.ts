// A real OpenStack Swift speaking the S3 API, for a jest suite:
//
//   const swift = await startSwift();   // beforeAll; about 2 s on an idle machine
//   const s3 = swift.s3();              // an S3Client configured for it
//   const bucket = await swift.createBucket('backups');
//   await swift.stop();                 // afterAll
//
// swift-aio.py does the work; it watches our end of its stdin, so a test
// process that dies in any way (SIGKILL included) takes its Swift with it.
// With LIBRSYNC_TEST_SWIFT set (global-setup.ts) suites share one Swift.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import { s3ClientFor } from './s3-client';

const SCRIPT = join(__dirname, 'swift-aio.py');
/** Set by global-setup.ts: the ready line of a Swift that suites share. */
export const SHARED_SWIFT_ENV = 'LIBRSYNC_TEST_SWIFT';

/** What swift-aio.py prints once every server answers /healthcheck. */
export interface SwiftInfo {
  /** The S3 endpoint (Swift's proxy), http://127.0.0.1:PORT. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Swift's native auth (tempauth), for clients of the Swift API. */
  authUrl: string;
  dir: string;
  logs: string;
  ports: Record<'proxy' | 'account' | 'container' | 'object' | 'memcached', number>;
  pids: Record<string, number>;
  supervisorPid: number;
  readyMs: number;
}

export interface SwiftServer extends SwiftInfo {
  /** The ready line as swift-aio.py printed it. */
  info: SwiftInfo;
  /** True when this handle uses a Swift shared by several suites. */
  shared: boolean;
  /** An S3Client for this Swift; pass { endpoint } to go through a fault proxy. */
  s3(overrides?: Partial<S3ClientConfig>): S3Client;
  /** A fresh, valid bucket name (not created). */
  bucketName(prefix?: string): string;
  /** Creates a fresh bucket; stop() deletes it on a shared Swift. */
  createBucket(prefix?: string): Promise<string>;
  /** Deletes every object and unfinished multipart upload, then the bucket. */
  deleteBucket(name: string): Promise<void>;
  /** The last lines of one server's log (proxy, account, container, object, memcached). */
  logTail(server: string, lines?: number): string;
  /** Stops this Swift and waits for every process; rejects if it had died. */
  stop(): Promise<void>;
}

// -- is Swift installed? ----------------------------------------------------------

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The interpreter Swift is installed for: swift-proxy-server's shebang
 * (`python3` on PATH may be another, e.g. pyenv's, without Swift).
 */
export function swiftPython(): string | undefined {
  const proxy = onPath('swift-proxy-server');
  if (proxy === undefined) return undefined;
  const match = /^#!\s*(\S+)/.exec(readFileSync(proxy, 'utf8').split('\n', 1)[0]);
  if (match && isAbsolute(match[1]) && !match[1].endsWith('/env')) return match[1];
  return onPath('python3');
}

function swiftMissing(): string | undefined {
  const python = swiftPython();
  if (python === undefined) return 'swift-proxy-server is not on PATH';
  const probe = spawnSync(python, ['-c', 'import importlib.util as u, sys; sys.exit(u.find_spec("swift.common.middleware.s3api") is None)']);
  if (probe.status !== 0) return `${python} cannot import Swift's s3api middleware`;
  if (onPath('memcached') === undefined) return 'memcached is not on PATH';
  return undefined;
}

const mustHaveAll = process.env.CI === 'true' || process.env.LIBRSYNC_REQUIRE_ALL === '1';
const missing = process.env[SHARED_SWIFT_ENV] ? undefined : swiftMissing();
export const hasSwift = missing === undefined;

/**
 * describe() for suites that need Swift: skips with one warning when it is
 * not installed, fails in CI (as test/support/requirements.ts does).
 */
export const describeWithSwift: jest.Describe = (() => {
  if (hasSwift) return describe;
  const what = 'OpenStack Swift (apt-get install swift swift-proxy swift-object swift-container swift-account memcached)';
  if (mustHaveAll) throw new Error(`${what} is required in CI but is missing: ${missing}`);
  // eslint-disable-next-line no-console
  console.warn(`SKIPPING tests that need ${what}: ${missing}`);
  return describe.skip;
})();

// -- starting and stopping ---------------------------------------------------------

export interface StartOptions {
  /** Start a Swift of this suite's own even when a shared one exists. */
  own?: boolean;
  /** Seconds to wait for the servers (default 60: CI machines are slow). */
  timeoutSeconds?: number;
}

export async function startSwift(options: StartOptions = {}): Promise<SwiftServer> {
  const shared = process.env[SHARED_SWIFT_ENV];
  if (shared && !options.own) return handle(JSON.parse(shared) as SwiftInfo, undefined);
  const python = swiftPython() ?? 'python3';
  const timeout = options.timeoutSeconds ?? 60;
  const child = spawn(python, [SCRIPT, 'run', '--watch-stdin', '--timeout', String(timeout)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const info = await readyLine(child);
  return handle(info, child);
}

function readyLine(child: ChildProcess): Promise<SwiftInfo> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      child.kill('SIGKILL');
      reject(new Error(`Swift did not start: ${why}${stderr ? `\n${stderr.trimEnd()}` : ''}`));
    };
    const onError = (error: Error) => fail(error.message);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`swift-aio.py exited (${signal ?? code}) before Swift was ready`);
    child.on('error', onError);
    child.on('exit', onExit);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8192);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end < 0) return;
      child.stdout!.removeAllListeners('data');
      let line: { event?: string; message?: string } & SwiftInfo;
      try {
        line = JSON.parse(stdout.slice(0, end));
      } catch {
        fail(`unreadable line from swift-aio.py: ${stdout.slice(0, end)}`);
        return;
      }
      if (line.event !== 'ready') {
        fail(line.message ?? stdout.slice(0, end));
        return;
      }
      child.off('error', onError);
      child.off('exit', onExit);
      child.stderr!.removeAllListeners('data');
      resolve(line);
    });
  });
}

let bucketCounter = 0;

function handle(info: SwiftInfo, child: ChildProcess | undefined): SwiftServer {
  let died: string | undefined;
  let stopping = false;
  let exited: Promise<void> = Promise.resolve();
  if (child) {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8192);
    });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (!stopping) died = `Swift's supervisor exited (${signal ?? code}) before stop(): ${stderr.trimEnd()}`;
    });
    // A Swift forgotten by its suite must not keep the process alive; its
    // stdin closes when the process exits, and that stops it.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }
  const created = new Set<string>();
  const admin = s3ClientFor(info);

  const server: SwiftServer = {
    ...info,
    info,
    shared: child === undefined,
    s3: (overrides = {}) => s3ClientFor(info, overrides),
    bucketName(prefix = 'test') {
      const clean = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 30) || 'test';
      return `${clean}-${process.pid}-${++bucketCounter}-${randomBytes(3).toString('hex')}`;
    },
    async createBucket(prefix) {
      const name = server.bucketName(prefix);
      await admin.send(new CreateBucketCommand({ Bucket: name }));
      created.add(name);
      return name;
    },
    async deleteBucket(name) {
      let token: string | undefined;
      do {
        const page = await admin.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
        const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
        if (keys.length > 0) await admin.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
        token = page.NextContinuationToken;
      } while (token);
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: name }));
      for (const upload of uploads.Uploads ?? []) {
        await admin.send(new AbortMultipartUploadCommand({ Bucket: name, Key: upload.Key!, UploadId: upload.UploadId! }));
      }
      await admin.send(new DeleteBucketCommand({ Bucket: name }));
      created.delete(name);
    },
    logTail(name, lines = 20) {
      try {
        return readFileSync(join(info.logs, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch (error) {
        return `(no log: ${(error as Error).message})`;
      }
    },
    async stop() {
      if (!child) {
        // A shared Swift outlives the suite: leave it as we found it.
        for (const name of [...created]) await server.deleteBucket(name);
        admin.destroy();
        return;
      }
      admin.destroy();
      if (!stopping) {
        stopping = true;
        child.stdin!.end();
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      if (died) throw new Error(died);
    },
  };
  return server;
}
