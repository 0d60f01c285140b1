// How the CLI finds an S3 store's credentials and settings, as AWS tools
// do: a named profile in ~/.aws/credentials (AWS_PROFILE), the region
// option, path style; and prune and diff on an s3:// store.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './support/files';
import { runCli } from './support/cli';
import { describeWithSwift, startSwift, SwiftServer } from './support/swift/swift-server';

describeWithSwift('S3 settings as AWS tools take them', () => {
  let swift: SwiftServer;
  const scratch = scratchDir('librsync-s3-credentials-');
  const home = scratch.path('home');

  beforeAll(async () => {
    swift = await startSwift();
    mkdirSync(join(home, '.aws'), { recursive: true });
    // The default profile is wrong on purpose: only AWS_PROFILE=backup works.
    writeFileSync(
      join(home, '.aws', 'credentials'),
      `[default]\naws_access_key_id = nobody:none\naws_secret_access_key = not-this-one\n\n[backup]\naws_access_key_id = ${swift.accessKeyId}\naws_secret_access_key = ${swift.secretAccessKey}\n`,
    );
    writeFileSync(join(home, '.aws', 'config'), '[default]\nregion = us-east-1\n\n[profile backup]\nregion = us-east-1\n');
  });
  afterAll(async () => {
    scratch.remove();
    await swift?.stop();
  });

  // Nothing from the test process's own environment: HOME points at the profiles above.
  const cli = (args: string[], env: NodeJS.ProcessEnv) =>
    runCli(args, {
      cwd: scratch.dir,
      env: { HOME: home, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_REGION: '', AWS_PROFILE: '', AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_S3: '', AWS_SHARED_CREDENTIALS_FILE: '', AWS_CONFIG_FILE: '', ...env },
      timeoutMs: 60_000,
    });

  test('a named profile from ~/.aws/credentials; the default profile, being wrong, is refused', () => {
    const source = scratch.path('profile-src');
    mkdirSync(source);
    writeFileSync(join(source, 'a.txt'), 'from a profile\n');
    const url = `s3://${swift.bucketName('profile')}/p`;
    const endpoint = ['--s3-endpoint', swift.endpoint];
    const denied = cli(['backup', source, url, ...endpoint], {});
    expect([denied.status, denied.stderr.split(':')[0]]).toEqual([100, 'librsync']);
    expect(denied.stderr).toContain('access denied');
    expect(denied.stderr).not.toContain('not-this-one');
    const ok = cli(['backup', source, url, ...endpoint, '--s3-region', 'us-east-1', '--s3-path-style'], { AWS_PROFILE: 'backup' });
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    const cat = cli(['cat', url, 'a.txt', ...endpoint], { AWS_PROFILE: 'backup' });
    expect([cat.status, cat.stdout.toString()]).toEqual([0, 'from a profile\n']);
  });

  test('prune and diff on an s3:// store', () => {
    const source = scratch.path('prune-src');
    mkdirSync(source);
    const url = `s3://${swift.bucketName('prune')}/p`;
    const args = ['--s3-endpoint', swift.endpoint];
    const env = { AWS_PROFILE: 'backup' };
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(source, 'n.txt'), `version ${i}\n`);
      writeFileSync(join(source, `added-${i}.txt`), `${i}\n`);
      const level = cli(['backup', source, url, ...args, '--level', '0'], env); // three chains
      expect([level.status, level.stderr]).toEqual([0, '']);
    }
    const diff = cli(['diff', url, 'chain-000001/000000-L0', 'chain-000003/000000-L0', ...args], env);
    expect(diff.status).toBe(0);
    expect(diff.stdout.toString().split('\n').slice(0, 3)).toEqual(['+ file    added-1.txt 2 bytes', '+ file    added-2.txt 2 bytes', 'M file    n.txt (content, mtime) 10 bytes']);
    const dry = cli(['prune', url, '--keep-last', '1', '--dry-run', ...args], env);
    expect(dry.status).toBe(0);
    expect(dry.stdout.toString()).toMatch(/^would remove 2 backups \(2 whole chains\)/m);
    const pruned = cli(['prune', url, '--keep-last', '1', ...args, '--json'], env);
    expect(pruned.status).toBe(0);
    expect(JSON.parse(pruned.stdout.toString())).toMatchObject({ ok: true, removed: [{ chain: 'chain-000001', whole: true }, { chain: 'chain-000002', whole: true }] });
    const listed = JSON.parse(cli(['list', url, ...args, '--json'], env).stdout.toString());
    expect(listed.names[0].chains.map((c: { chain: string }) => c.chain)).toEqual(['chain-000003']);
    const verified = cli(['verify', url, ...args], env);
    expect([verified.status, verified.stderr]).toEqual([0, '']);
  });
});
