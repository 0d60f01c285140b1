// What an S3Store asks of the engine (no server needed: nothing is sent):
// packs of 12 to 16 MiB, one PUT each, and --s3-concurrency packs
// uploading at once; each upload's memory bounded by its part size.
import { S3Store } from '../lib/backup/s3-store';
import { DEFAULT_PACK_TARGET_BYTES, DEFAULT_PART_SIZE, PARTS_IN_FLIGHT, uploadMemoryBound } from '../lib/backup/s3-store/s3-config';
import { LocalDirectoryStore } from '../lib/backup';

const MiB = 1 << 20;
const at = (options: ConstructorParameters<typeof S3Store>[1] = {}) => new S3Store('s3://bucket/prefix', { endpoint: 'http://127.0.0.1:9', ...options });

describe('S3Store hints', () => {
  it('asks for 12 MiB packs and 4 uploads in flight by default', () => {
    const store = at();
    expect([store.packTargetBytes, store.uploadsInFlight]).toEqual([12 * MiB, 4]);
    expect([DEFAULT_PACK_TARGET_BYTES, DEFAULT_PART_SIZE, PARTS_IN_FLIGHT]).toEqual([12 * MiB, 16 * MiB, 2]);
    // 16 MiB x (2 in flight + 1 filling) + two 1 MiB stream buffers.
    expect(uploadMemoryBound(DEFAULT_PART_SIZE)).toBe(50 * MiB);
    store.destroy();
  });

  it('follows concurrency and packTargetBytes, and refuses bad values', () => {
    const store = at({ concurrency: 2, packTargetBytes: 64 * 1024 });
    expect([store.packTargetBytes, store.uploadsInFlight]).toEqual([64 * 1024, 2]);
    store.destroy();
    expect(() => at({ packTargetBytes: 0 })).toThrow('S3 option packTargetBytes must be an integer of at least 1: 0');
    expect(() => at({ concurrency: 1.5 })).toThrow('S3 option concurrency must be an integer of at least 1: 1.5');
  });

  it('leaves the local store as it was: 256 MiB packs, one at a time', () => {
    const local = new LocalDirectoryStore('/nonexistent');
    expect([local.packTargetBytes, local.uploadsInFlight]).toEqual([256 * MiB, 1]);
  });
});
