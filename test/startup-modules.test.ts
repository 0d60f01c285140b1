// A backup to a local directory does not load the AWS SDK: loading it costs
// about 0.1 s of CPU, more than a backup that finds nothing changed. The
// SDK loads once a store is in S3.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './support/files';

const root = join(__dirname, '..');

/** Runs `body` in a fresh process and returns the packages it loaded. */
function packagesLoaded(body: string): string[] {
  const script = `${body}.then(() => {
    const names = new Set(Object.keys(require.cache).map((k) => (/node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(k) || [])[1]).filter(Boolean));
    console.log(JSON.stringify([...names].sort()));
  }).catch((e) => { console.error(e); process.exit(1); })`;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

describe('modules loaded at start-up', () => {
  const scratch = scratchDir('librsync-startup-');
  afterAll(() => scratch.remove());

  it('a local backup and the CLI help load no AWS SDK; an s3:// store does', () => {
    const src = scratch.path('src');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), 'hello');
    const local = packagesLoaded(`require('./dist/backup').backup(${JSON.stringify(src)}, ${JSON.stringify(scratch.path('store'))}, { name: 't' })`);
    expect(local.filter((n) => n.startsWith('@aws-sdk') || n.startsWith('@smithy'))).toEqual([]);
    const help = packagesLoaded(`Promise.resolve(require('./dist/cli/main'))`);
    expect(help.filter((n) => n.startsWith('@aws-sdk'))).toEqual([]);
    // Opening an s3:// store (no request made) does load it.
    const s3 = packagesLoaded(`Promise.resolve(require('./dist/backup/open-store').openStoreArgument('s3://bucket/prefix'))`);
    expect(s3).toEqual(expect.arrayContaining(['@aws-sdk/client-s3']));
  });
});
