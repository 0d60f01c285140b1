// Restored times are exact: the native addon sets them with utimensat,
// to the nanosecond (fs.utimes stops at the microsecond).
import { lstatSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { nanosecondTimes, setFileTimes, utimeSeconds } from '../lib/file-times';
import { scratchDir } from './support/files';
import { describeNative } from './support/requirements';

describeNative('setFileTimes', () => {
  const scratch = scratchDir('librsync-times-');
  afterAll(() => scratch.remove());

  it('is exact to the nanosecond with the addon', async () => {
    expect(nanosecondTimes()).toBe(true);
    const file = scratch.path('f');
    writeFileSync(file, 'x');
    for (const ns of [1_234_567_890_123_456_789n, 1n, 0n, 999_999_999n, -1_500_000_001n]) {
      await setFileTimes(file, ns);
      expect(statSync(file, { bigint: true }).mtimeNs).toBe(ns);
      expect(statSync(file, { bigint: true }).atimeNs).toBe(ns);
    }
  });

  it('sets a symlink itself with noFollow, its target without', async () => {
    const target = scratch.path('target');
    const link = scratch.path('link');
    writeFileSync(target, 'x');
    symlinkSync(target, link);
    await setFileTimes(target, 1_000_000_000_000_000_001n);
    await setFileTimes(link, 2_000_000_000_000_000_002n, { noFollow: true });
    expect(lstatSync(link, { bigint: true }).mtimeNs).toBe(2_000_000_000_000_000_002n);
    expect(statSync(target, { bigint: true }).mtimeNs).toBe(1_000_000_000_000_000_001n);
  });

  it('fails like Node\'s fs does', async () => {
    await expect(setFileTimes(scratch.path('missing'), 1n)).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'utimensat',
      path: scratch.path('missing'),
      message: `ENOENT: no such file or directory, utimensat '${scratch.path('missing')}'`,
    });
  });
});

describe('the fallback through fs.utimes', () => {
  it('rounds to the microsecond so that libuv truncation lands on it', () => {
    expect(utimeSeconds(1_700_000_000_123_456_789n)).toBeCloseTo(1_700_000_000.1234565, 6);
    expect(Math.floor(((utimeSeconds(1_700_000_000_123_456_789n) * 1e6) % 1e6) + 1e-3)).toBe(123456);
  });
});
