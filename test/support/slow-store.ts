// A local store that behaves like an object store as the engine sees it:
// small packs, several "uploads" at once, and objects that finish late
// (each writer's end is held back before the object is committed, as an
// upload's last part and its completion are). It records how many pack
// writers of each kind were open at once and which packs were still
// unfinished whenever a manifest began its commit, and can make chosen
// objects fail as they finish (a failed upload).
import { Writable } from 'node:stream';
import { LocalDirectoryStore } from '../../lib/backup';
import { ObjectWriter } from '../../lib/backup/store';
import { drained, endAndFinish } from '../../lib/backup/stream-waits';

export interface SlowStoreOptions {
  packTargetBytes: number;
  uploadsInFlight: number;
  /** How long each object's commit is held back once its writer is ended. */
  finishDelayMs: number;
}

/** An upload that fails: the first object written whose key matches fails with `error` when it finishes. */
export interface InjectedFailure {
  match: (key: string) => boolean;
  error: Error;
}

const isPack = (key: string): boolean => key.endsWith('.pack');
const kindOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1)[0];

export class SlowStore extends LocalDirectoryStore {
  override readonly packTargetBytes: number;
  override readonly uploadsInFlight: number;
  private readonly finishDelayMs: number;
  /** Pack writers open now (from writeObject() until the object finished or its writer closed), by key. */
  private readonly openPacks = new Set<string>();
  /** The most pack writers of one kind ('d' data, 's' signatures) that were open at once. */
  readonly mostOpen: Record<string, number> = {};
  /** Every manifest commit begun: its key and the packs still open (unfinished) at that moment. */
  readonly manifestCommits: { key: string; unfinishedPacks: string[] }[] = [];
  /** Keys of pack objects that finished (committed), in order. */
  readonly finishedPacks: string[] = [];
  /** Failures still to inject (each used once). */
  readonly failures: InjectedFailure[] = [];

  constructor(root: string, options: SlowStoreOptions) {
    super(root);
    this.packTargetBytes = options.packTargetBytes;
    this.uploadsInFlight = options.uploadsInFlight;
    this.finishDelayMs = options.finishDelayMs;
  }

  /** Pack writers open right now (being filled, or ended and not yet finished). */
  get openPackCount(): number {
    return this.openPacks.size;
  }

  /** Forgets what was recorded so far (one backup's record at a time). */
  resetRecords(): void {
    for (const kind of Object.keys(this.mostOpen)) delete this.mostOpen[kind];
    this.manifestCommits.length = 0;
    this.finishedPacks.length = 0;
  }

  override writeObject(key: string): ObjectWriter {
    const inner = super.writeObject(key);
    const failureAt = this.failures.findIndex((f) => f.match(key));
    const failure = failureAt < 0 ? undefined : this.failures.splice(failureAt, 1)[0].error;
    if (isPack(key)) {
      this.openPacks.add(key);
      const kind = kindOf(key);
      const open = [...this.openPacks].filter((k) => kindOf(k) === kind).length;
      this.mostOpen[kind] = Math.max(this.mostOpen[kind] ?? 0, open);
    }
    const writer = new LateFinishWriter(inner, this.finishDelayMs, failure, () => {
      if (key.endsWith('/manifest.jsonl')) this.manifestCommits.push({ key, unfinishedPacks: [...this.openPacks].sort() });
    });
    writer.once('finish', () => {
      this.openPacks.delete(key);
      if (isPack(key)) this.finishedPacks.push(key);
    });
    writer.once('close', () => this.openPacks.delete(key));
    return writer;
  }
}

/** Passes writes on at once; commits `delayMs` after being ended (or fails then, with `failure`). */
class LateFinishWriter extends Writable implements ObjectWriter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: ObjectWriter,
    private readonly delayMs: number,
    private readonly failure: Error | undefined,
    private readonly onEnded: () => void,
  ) {
    super({ highWaterMark: 1 << 20 });
    inner.on('error', () => undefined); // reported through this writer
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.inner.write(chunk)) callback();
    else drained(this.inner).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.onEnded();
    const settle = (error?: Error): void => {
      if (!this.destroyed) callback(error);
    };
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.failure) {
        this.inner.destroy();
        void this.inner.settled().then(() => settle(this.failure));
        return;
      }
      endAndFinish(this.inner).then(
        () => settle(),
        (err: Error) => void this.inner.settled().then(() => settle(err)),
      );
    }, this.delayMs);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.inner.destroy();
    void this.inner.settled().then(() => callback(error));
  }

  settled(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.once('close', () => resolve()));
  }
}
