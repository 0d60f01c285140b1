// A block device's size comes from probing reads (fstat says 0 there).
// The probe works on any readable descriptor, so regular files of known
// sizes check it, around the powers of two where the search turns.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { deviceSize } from '../lib/js/basis-source';
import { scratchDir } from './support/files';

describe('deviceSize (the block device size probe)', () => {
  it.each([0, 1, 2, 3, 4, 5, 1023, 1024, 1025, 65536, 1_000_003])('finds %i bytes', (size) => {
    const dir = scratchDir('librsync-devsize-');
    const path = dir.path('f');
    writeFileSync(path, Buffer.alloc(size, 7));
    const fd = openSync(path, 'r');
    try {
      expect(deviceSize(fd)).toBe(size);
    } finally {
      closeSync(fd);
      dir.remove();
    }
  });
});
