// The backup commands on an s3:// store: credentials from the environment,
// --s3-endpoint on the command line, against a real S3 API (Swift).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytesSeeded, scratchDir } from './support/files';
import { runCli } from './support/cli';
import { describeWithSwift, startSwift, SwiftServer } from './support/swift/swift-server';

describeWithSwift('librsync backup commands with s3://BUCKET/PREFIX', () => {
  let swift: SwiftServer;
  const scratch = scratchDir('librsync-s3-cli-');

  beforeAll(async () => {
    swift = await startSwift();
  });
  afterAll(async () => {
    scratch.remove();
    await swift?.stop();
  });

  const env = () => ({
    AWS_ACCESS_KEY_ID: swift.accessKeyId,
    AWS_SECRET_ACCESS_KEY: swift.secretAccessKey,
    AWS_REGION: '',
    AWS_PROFILE: '',
    AWS_ENDPOINT_URL: '',
    AWS_ENDPOINT_URL_S3: '',
  });
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: scratch.dir, env: { ...env(), ...extraEnv }, timeoutMs: 60_000 });

  test('backup, list, verify, restore round trip: exact bytes; --json shows no secret', async () => {
    const source = scratch.path('source');
    mkdirSync(join(source, 'sub'), { recursive: true });
    const big = randomBytesSeeded(3 * 1024 * 1024 + 17, 21);
    writeFileSync(join(source, 'big.bin'), big);
    writeFileSync(join(source, 'sub', 'note.txt'), 'hello s3\n');
    const bucket = swift.bucketName('cli'); // created by the first backup
    const url = `s3://${bucket}/host1`;
    const endpoint = ['--s3-endpoint', swift.endpoint];

    const first = cli(['backup', source, url, '--name', 'data', ...endpoint, '--json']);
    expect([first.status, first.stderr]).toEqual([0, '']);
    const summary = JSON.parse(first.stdout.toString());
    expect([summary.ok, summary.level]).toEqual([true, 0]);

    writeFileSync(join(source, 'sub', 'note.txt'), 'hello again\n');
    const second = cli(['backup', source, url, '--name', 'data', ...endpoint]);
    expect([second.status, second.stderr]).toEqual([0, '']);
    expect(second.stdout.toString()).toMatch(/^backup data chain-000001\/\S+: level 1 against/);

    const listed = cli(['list', url, ...endpoint, '--json']);
    expect(listed.status).toBe(0);
    const listJson = listed.stdout.toString();
    expect(listJson).not.toContain(swift.secretAccessKey);
    expect(JSON.parse(listJson).names[0].chains[0].backups.map((b: { level: number }) => b.level)).toEqual([0, 1]);

    const verified = cli(['verify', url, ...endpoint]);
    expect([verified.status, verified.stderr]).toEqual([0, '']);

    const target = scratch.path('restored');
    const restored = cli(['restore', url, target, ...endpoint]);
    expect([restored.status, restored.stderr]).toEqual([0, '']);
    expect(readFileSync(join(target, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(target, 'sub', 'note.txt'), 'utf8')).toBe('hello again\n');

    // The endpoint from the environment, as AWS tools take it.
    const viaEnv = cli(['cat', url, 'sub/note.txt'], { AWS_ENDPOINT_URL_S3: swift.endpoint });
    expect([viaEnv.status, viaEnv.stdout.toString()]).toEqual([0, 'hello again\n']);
    await swift.deleteBucket(bucket);
  });

  test('wrong secret: STORE_ACCESS_DENIED, exit 100, secret in neither stderr nor --json', () => {
    const secret = 'wrong-secret-7d1e0b';
    const run = cli(['list', `s3://${swift.bucketName('denied')}/x`, '--s3-endpoint', swift.endpoint, '--json'], { AWS_SECRET_ACCESS_KEY: secret });
    expect(run.status).toBe(100);
    const out = JSON.parse(run.stdout.toString());
    expect([out.ok, out.error.code]).toEqual([false, 'STORE_ACCESS_DENIED']);
    expect(run.stdout.toString() + run.stderr).not.toContain(secret);
  });

  test('a missing bucket is STORE_NOT_FOUND (100); an S3 option with a local store is a usage error (101)', () => {
    const missing = cli(['list', `s3://${swift.bucketName('absent')}/x`, '--s3-endpoint', swift.endpoint]);
    expect(missing.status).toBe(100);
    expect(missing.stderr).toMatch(/STORE_NOT_FOUND|no such bucket/);
    const local = cli(['list', scratch.path('nowhere'), '--s3-endpoint', swift.endpoint]);
    expect(local.status).toBe(101);
    expect(local.stderr).toContain(`--s3-endpoint is for a store in S3 (s3://BUCKET/PREFIX), not '${scratch.path('nowhere')}'`);
  });
});
