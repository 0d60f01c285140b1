// The addon's dataExtents call (lseek SEEK_DATA/SEEK_HOLE on the thread
// pool): extents as the kernel allocates them, the cap, and failures as
// Node-style errors (bad, closed and unseekable descriptors) or
// RS_PARAM_ERROR (arguments refused before anything is queued).
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_EXTENTS, dataExtents } from '../lib/data-extents';
import { nativeBinding } from '../lib/native-binding';
import { describeNative } from './support/requirements';

const KiB = 1024;
const MiB = 1024 * KiB;

describeNative('dataExtents (native)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync('/dev/shm/librsync-extents-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An open descriptor on a file of `size` bytes with data at `offsets` (4 KiB each). */
  function sparse(name: string, size: number, offsets: number[]): number {
    const path = join(dir, name);
    writeFileSync(path, '');
    execFileSync('truncate', ['-s', String(size), path]);
    const fd = openSync(path, 'r+');
    for (const offset of offsets) writeSync(fd, Buffer.alloc(4 * KiB, 1), 0, 4 * KiB, offset);
    return fd;
  }

  it('lists the data, sorted, and nothing for holes, an empty file or size 0', async () => {
    const fd = sparse('three', 10 * MiB, [0, 4 * MiB, 10 * MiB - 4 * KiB]);
    try {
      expect(await dataExtents(fd, 10 * MiB)).toEqual([[0, 4 * KiB], [4 * MiB, 4 * KiB], [10 * MiB - 4 * KiB, 4 * KiB]]);
      // Bounded by the size asked for: an extent past it is cut, one beyond it left out.
      expect(await dataExtents(fd, 4 * MiB + 100)).toEqual([[0, 4 * KiB], [4 * MiB, 100]]);
      expect(await dataExtents(fd, 0)).toEqual([]);
    } finally {
      closeSync(fd);
    }
    const holes = sparse('holes', 8 * MiB, []);
    const empty = sparse('empty', 0, []);
    try {
      expect(await dataExtents(holes, 8 * MiB)).toEqual([]);
      expect(await dataExtents(empty, 0)).toEqual([]);
      // A size past the end (the file shrank): no data there either.
      expect(await dataExtents(empty, 1 * MiB)).toEqual([]);
    } finally {
      closeSync(holes);
      closeSync(empty);
    }
  });

  it('past maxExtents, counts the rest of the file as data', async () => {
    const fd = sparse('capped', 1 * MiB, [0, 64 * KiB, 128 * KiB, 512 * KiB]);
    try {
      expect(await dataExtents(fd, 1 * MiB, 2)).toEqual([[0, 4 * KiB], [64 * KiB, 1 * MiB - 64 * KiB]]);
      expect(await dataExtents(fd, 1 * MiB, 1)).toEqual([[0, 1 * MiB]]);
      expect(await dataExtents(fd, 1 * MiB, 4)).toHaveLength(4);
      expect(MAX_EXTENTS).toBeGreaterThan(1);
    } finally {
      closeSync(fd);
    }
  });

  it('fails like fs does on a bad, a closed or an unseekable descriptor', async () => {
    await expect(dataExtents(987654, 10)).rejects.toMatchObject({ code: 'EBADF', syscall: 'lseek', fd: 987654, errno: -9 });
    const fd = sparse('closed', 1 * MiB, [0]);
    closeSync(fd);
    await expect(dataExtents(fd, 1 * MiB)).rejects.toMatchObject({ code: 'EBADF', syscall: 'lseek' });
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const pipe = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await expect(dataExtents(pipe, 10)).rejects.toMatchObject({ code: 'ESPIPE', syscall: 'lseek', fd: pipe });
    } finally {
      closeSync(pipe);
    }
  });

  it('refuses bad arguments with RS_PARAM_ERROR before any call', async () => {
    for (const [fd, size, max] of [
      [-1, 10, 1],
      [1.5, 10, 1],
      [2 ** 31, 10, 1],
      [Number.NaN, 10, 1],
      ['3', 10, 1],
      [3, -1, 1],
      [3, 2 ** 53, 1],
      [3, Infinity, 1],
      [3, 10, 0],
      [3, 10, 2 ** 20 + 1],
    ] as unknown[][]) {
      await expect(dataExtents(fd as number, size as number, max as number)).rejects.toMatchObject({ code: 'RS_PARAM_ERROR' });
    }
    const binding = nativeBinding() as unknown as { dataExtents: (...args: unknown[]) => void };
    expect(() => binding.dataExtents(3, 10, 1)).toThrow(expect.objectContaining({ code: 'RS_PARAM_ERROR' }));
    expect(() => binding.dataExtents(3, 10, 1, () => undefined, 'extra')).toThrow(expect.objectContaining({ code: 'RS_PARAM_ERROR' }));
  });
});
