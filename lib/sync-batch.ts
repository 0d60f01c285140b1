// Durability for many files at once. Each file waits here, complete and
// still open, until a batch is flushed: with the native addon by one
// syncfs(2) per file system in the batch (one journal commit for them
// all), without it by an fsync of each, all at once on the thread pool.
// Only then does its writer rename it into place, so a file still appears
// at its path only complete, while a tree of small files costs one flush
// per batch instead of one per file.
import { FileHandle, open } from 'node:fs/promises';
import { nativeBinding, nativeLoadError } from './native-binding';

type Waiting = { handle: FileHandle; device: number; resolve: () => void; reject: (err: unknown) => void };

/** Files flushed together at most (the flush starts as soon as this many wait). */
export const SYNC_BATCH_FILES = 32;
/** How long the first file of a batch waits for others before it is flushed anyway. */
export const SYNC_BATCH_DELAY_MS = 10;

function syncFileSystem(fd: number): Promise<void> {
  return new Promise((resolve, reject) => nativeBinding().syncFileSystem(fd, (err) => (err ? reject(err) : resolve())));
}

export class SyncBatch {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly useSyncfs = process.platform === 'linux' && nativeLoadError() === undefined;

  constructor(
    private readonly maxFiles = SYNC_BATCH_FILES,
    private readonly delayMs = SYNC_BATCH_DELAY_MS,
  ) {}

  /** Resolves once the open file's content and metadata are durable; `device` is its file system's (st_dev). */
  sync(handle: FileHandle, device: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ handle, device, resolve, reject });
      if (this.waiting.length >= this.maxFiles) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    });
  }

  /** Starts flushing what waits now (a caller about to wait for those files need not wait for the timer). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length) void this.flushBatch(batch);
  }

  private async flushBatch(batch: Waiting[]): Promise<void> {
    if (!this.useSyncfs) {
      await Promise.all(batch.map((w) => w.handle.sync().then(w.resolve, w.reject)));
      return;
    }
    // One syncfs per file system, through any descriptor open on it.
    const byDevice = new Map<number, Waiting[]>();
    for (const w of batch) {
      const group = byDevice.get(w.device);
      if (group) group.push(w);
      else byDevice.set(w.device, [w]);
    }
    await Promise.all(
      [...byDevice.values()].map((group) =>
        syncFileSystem(group[0].handle.fd).then(
          () => group.forEach((w) => w.resolve()),
          (err: unknown) => group.forEach((w) => w.reject(err)),
        ),
      ),
    );
  }
}

/** Makes durable what was written on the file system holding `path` (a directory): syncfs, or fsync of the directory without the addon. */
export async function syncFileSystemOf(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    if (process.platform === 'linux' && nativeLoadError() === undefined) await syncFileSystem(handle.fd);
    else await handle.sync();
  } finally {
    await handle.close();
  }
}
