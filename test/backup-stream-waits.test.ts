// Every stream the backup engine awaits must settle, on failure as on
// success: a wait that never ends empties the event loop and the process
// exits 0 with nothing committed. And a fan-out may only finish once its
// slowest target has taken every byte, or the last bytes of a file are
// lost when the caller moves on.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FanOut } from '../lib/backup/fan-out';
import { MANIFEST_FRAME_BYTES } from '../lib/backup/manifest-frames';
import { ManifestWriter } from '../lib/backup/manifest-writer';
import { MANIFEST_FORMAT, MANIFEST_VERSION, ManifestHeader } from '../lib/backup/manifest';
import { PackWriter } from '../lib/backup/pack-writer';
import { ObjectWriter } from '../lib/backup/store';
import { drained, endAndFinish } from '../lib/backup/stream-waits';

/** A writable whose writes take `delayMs` each, as a busy disk's do. */
function slowSink(delayMs: number, into: Buffer[]): Writable {
  return new Writable({
    highWaterMark: 1 << 20, // takes every chunk at once, processes them slowly
    write(chunk: Buffer, _e, callback) {
      setTimeout(() => {
        into.push(chunk);
        callback();
      }, delayMs);
    },
  });
}

/** An object writer that fails its nth write, as a full disk does. */
function failingObject(failAt: number): ObjectWriter {
  let writes = 0;
  const w = new Writable({
    write(_chunk, _e, callback) {
      if (++writes >= failAt) callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      else callback();
    },
  }) as unknown as ObjectWriter;
  w.settled = () => (w.closed ? Promise.resolve() : new Promise((resolve) => w.once('close', () => resolve())));
  return w;
}

const header: ManifestHeader = {
  format: MANIFEST_FORMAT,
  version: MANIFEST_VERSION,
  name: 'n',
  chain: 'chain-000001',
  id: '000000-L0',
  sequence: 0,
  level: 0,
  parent: null,
  started: new Date(0).toISOString(),
  chainStarted: new Date(0).toISOString(),
  blockSize: 65536,
  source: { path: '/src', kind: 'dir', name: 'src' },
  exclude: [],
};

describe('stream waits', () => {
  it('FanOut finishes only after its slowest target has taken every chunk', async () => {
    const fast: Buffer[] = [];
    const slow: Buffer[] = [];
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000, i));
    await pipeline(Readable.from(chunks), new FanOut([slowSink(0, fast), slowSink(5, slow)]));
    expect(Buffer.concat(slow)).toEqual(Buffer.concat(chunks));
    expect(Buffer.concat(fast)).toEqual(Buffer.concat(chunks));
  });

  it('FanOut fails its pipeline when a target no pipeline listens to fails, instead of an unhandled error', async () => {
    // It takes the chunks at once (no wait for 'drain' is listening) and fails later, as a disk write does.
    const failing = new Writable({ highWaterMark: 1 << 20, write: (_c, _e, callback) => setTimeout(() => callback(new Error('target failed')), 5) });
    const slowSource = Readable.from((async function* () {
      for (let i = 0; i < 5; i++) {
        yield Buffer.alloc(10);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })());
    await expect(pipeline(slowSource, new FanOut([failing]))).rejects.toThrow('target failed');
  });

  it('drained() and endAndFinish() reject on a stream that already failed', async () => {
    const failed = new Writable({ write: (_c, _e, cb) => cb() });
    failed.on('error', () => undefined);
    failed.destroy(new Error('gone'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(drained(failed)).rejects.toThrow('gone');
    await expect(endAndFinish(failed)).rejects.toThrow('gone');
    const closed = new Writable({ write: (_c, _e, cb) => cb() });
    closed.destroy();
    await expect(endAndFinish(closed)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('ManifestWriter.finish() rejects when the manifest object failed earlier (a full disk), never waits forever', async () => {
    const writer = new ManifestWriter(failingObject(1), header, 'auto');
    await new Promise((resolve) => setImmediate(resolve)); // the header's write has failed by now
    await expect(writer.finish({ end: true, finished: '', counts: {} as never, packs: {} })).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('ManifestWriter.add() stops at the first failed write (the first frame of entries after the header)', async () => {
    const writer = new ManifestWriter(failingObject(2), header, 'auto');
    const long = 'x'.repeat(1000);
    let added = 0;
    const adding = (async () => {
      // Entries are written a frame (MANIFEST_FRAME_BYTES of lines) at a time: the add that fills the first frame fails.
      for (; added < 2 * (MANIFEST_FRAME_BYTES / 1000); added++) {
        await writer.add({ path: `${String(added).padStart(6, '0')}-${long}`, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: '0' });
      }
    })();
    await expect(adding).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(added).toBeLessThan(MANIFEST_FRAME_BYTES / 100);
  });

  it('PackWriter.close() rejects when its pack failed earlier', async () => {
    const store = { writeObject: () => failingObject(1) } as never;
    const packs = new PackWriter(store, 'n/chain-000001/000000-L0', '000000-L0', 'd');
    const segment = await packs.beginSegment();
    segment.on('error', () => undefined);
    segment.end(Buffer.alloc(100));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(packs.close()).rejects.toMatchObject({ code: 'ENOSPC' });
  });
});
