// What a patch basis may be: a regular file or a block device (readable at
// any position), given by path or descriptor. Anything else is refused at
// once with RS_PARAM_ERROR; in particular a FIFO must never be opened in a
// way that waits for a writer (that would hang the caller for good).
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { patch, patchBuffer } from '../lib';
import { scratchDir } from './support/files';
import { describeEachBackend } from './support/requirements';
import { buildDelta, expectLibrsyncError, literalCmd } from './support/rsync';

const dist = join(__dirname, '..', 'dist', 'index.js');

/** A block device this process may read, if the machine has one. */
const blockDevice = ['/dev/loop0', '/dev/sda', '/dev/vda', '/dev/nvme0n1'].find((path) => {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isBlockDevice();
  } catch {
    return false;
  }
});

describeEachBackend('patch basis kinds', (backend) => {
  const d = buildDelta(literalCmd(Buffer.from('new bytes')));

  it('a FIFO (by descriptor or path) with no writer is refused at once, without blocking', () => {
    const dir = scratchDir('librsync-fifo-');
    try {
      const fifo = dir.path('fifo');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      // In a child process: the bug being guarded against blocks its thread for good.
      const script = `
        const fs = require('node:fs');
        const lib = require(${JSON.stringify(dist)});
        const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const codes = [];
        try { lib.patch(fd, { backend: ${JSON.stringify(backend)} }); codes.push('accepted'); } catch (err) { codes.push(err.code); }
        lib.patchBuffer(${JSON.stringify(fifo)}, Buffer.from(${JSON.stringify([...d])}), { backend: ${JSON.stringify(backend)} }).then(
          () => codes.push('accepted'),
          (err) => codes.push(err.code),
        ).then(() => { console.log(codes.join(' ')); fs.closeSync(fd); });
      `;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 5_000 });
      expect(child.error).toBeUndefined();
      expect(child.stdout.trim()).toBe('RS_PARAM_ERROR RS_PARAM_ERROR');
    } finally {
      dir.remove();
    }
  });

  it('a directory (by descriptor or path) is RS_PARAM_ERROR', async () => {
    const dir = scratchDir('librsync-dirbasis-');
    const fd = openSync(dir.dir, 'r');
    try {
      await expectLibrsyncError(patchBuffer(dir.dir, d), 'RS_PARAM_ERROR');
      expect(() => patch(fd)).toThrow(expect.objectContaining({ code: 'RS_PARAM_ERROR' }));
    } finally {
      closeSync(fd);
      dir.remove();
    }
  });

  (blockDevice ? it : it.skip)(`a block device (${blockDevice ?? 'none readable here'}) is accepted, as the native backend does`, async () => {
    const out = await patchBuffer(blockDevice!, d);
    expect(out.toString()).toBe('new bytes');
  });
});
