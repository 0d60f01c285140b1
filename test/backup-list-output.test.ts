// `list --files` streams a manifest of any size to stdout: it waits for a
// slow reader (a pager, a pipe) instead of queueing the whole listing.
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { backup } from '../lib/backup';
import { main } from '../lib/cli/main';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

describeNative('list --files output', () => {
  const scratch = scratchDir('librsync-backup-list-');
  afterAll(() => scratch.remove());

  it('holds back while stdout is not read', async () => {
    const src = scratch.path('src');
    mkdirSync(src);
    for (let i = 0; i < 2000; i++) writeFileSync(join(src, `file-${i}`), '');
    const store = scratch.path('store');
    await backup(src, store, { name: 'l' });
    let release!: () => void;
    const reading = new Promise<void>((resolve) => (release = resolve));
    let bytes = 0;
    const stdout = new Writable({
      highWaterMark: 16 << 10,
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        reading.then(() => callback());
      },
    });
    const io = { stdin: new PassThrough(), stdinFd: -1, stdout, stderr: new PassThrough() };
    const done = main(['list', store, '--files'], io);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const queued = stdout.writableLength;
    release();
    expect(await done).toBe(0);
    while (stdout.writableLength > 0) await once(stdout, 'drain');
    expect(bytes).toBeGreaterThan(100_000); // the whole listing, once read
    expect(queued).toBeLessThan(32 << 10);
  });
});
