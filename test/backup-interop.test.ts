// A store written with one librsync backend is read by the other: the pure
// TypeScript backend's backups restore and verify on the native addon and
// the other way round, with compression and encryption on, at every level.
// The zstd codec is the same for both (its wasm fallback is tested in
// compression-frames.test.ts); the deltas differ only if the backends do.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, restore, verify } from '../lib/backup';
import { randomBytesSeeded, scratchDir } from './support/files';
import { describeNative } from './support/requirements';
import { snapshotTree } from './support/tree-snapshot';

const password = 'interop passphrase';
const scratch = scratchDir('librsync-interop-');
afterAll(() => scratch.remove());

describeNative('stores across backends', () => {
  it.each([
    ['js', 'native'],
    ['native', 'js'],
  ] as const)('written by %s, read by %s (compressed, encrypted, three levels)', async (writer, reader) => {
    const dir = scratch.path(`${writer}-${reader}`);
    const src = join(dir, 'src');
    const store = join(dir, 'store');
    mkdirSync(join(src, 'text'), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(src, 'text', `f${i}.txt`), `line ${i} of some text\n`.repeat(200 + i));
    writeFileSync(join(src, 'random.bin'), randomBytesSeeded(300_000, 11));
    const options = { name: 'interop', backend: writer, password, blockSize: 2048 } as const;
    await backup(src, store, { ...options, encrypt: true });
    const snapshots = [snapshotTree(src, { skipRootTime: true })];
    const data = readFileSync(join(src, 'random.bin'));
    writeFileSync(join(src, 'random.bin'), Buffer.concat([data.subarray(0, 1000), Buffer.from('inserted bytes'), data.subarray(1000)]));
    writeFileSync(join(src, 'text', 'f3.txt'), 'rewritten\n');
    await backup(src, store, options);
    snapshots.push(snapshotTree(src, { skipRootTime: true }));
    writeFileSync(join(src, 'random.bin'), Buffer.concat([readFileSync(join(src, 'random.bin')), randomBytesSeeded(5000, 12)]));
    await backup(src, store, options);
    snapshots.push(snapshotTree(src, { skipRootTime: true }));
    for (let level = 0; level < 3; level++) {
      const target = join(dir, `restore-${level}`);
      await restore(store, target, { name: 'interop', level, backend: reader, password });
      expect(snapshotTree(target, { skipRootTime: true })).toEqual(snapshots[level]);
    }
    const report = await verify(store, { name: 'interop', backend: reader, password });
    expect([report.ok, report.problems]).toEqual([true, []]);
  });
});
