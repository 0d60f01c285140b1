// The LITERAL bytes of a chain's deltas, kept for the one pass that
// rebuilds the file: numbered in the order they are appended, held in
// memory up to MEMORY_BUDGET and past that written to a scratch file, so a
// delta that is mostly literal (a file rewritten) costs disk, not memory.
import { FileHandle, open, rm } from 'node:fs/promises';

/** Literal bytes held in memory before they go to the scratch file. */
export const LITERAL_MEMORY_BUDGET = 1 << 20;
const READ_CHUNK = 1 << 20;

export class LiteralStore {
  /** Bytes appended so far: the next one's number. */
  size = 0;
  /** Bytes [0, spilled) are in the file; [spilled, size) in `held`. */
  private spilled = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private handle: FileHandle | undefined;

  constructor(private readonly spillPath: string) {}

  /** Keeps a copy of `bytes`; returns the number of its first byte. */
  append(bytes: Buffer): number {
    const at = this.size;
    this.held.push(Buffer.from(bytes)); // a copy: a view would keep the whole input chunk alive
    this.heldBytes += bytes.length;
    this.size += bytes.length;
    return at;
  }

  /** Writes what is held to the scratch file once it passes the budget (call between input chunks). */
  async settle(): Promise<void> {
    if (this.heldBytes <= LITERAL_MEMORY_BUDGET) return;
    this.handle ??= await open(this.spillPath, 'w+', 0o600);
    const chunks = this.held;
    this.held = [];
    this.heldBytes = 0;
    let position = this.spilled;
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    this.spilled = position;
  }

  /** Bytes [at, at + length), in chunks of at most 1 MiB. */
  async *read(at: number, length: number): AsyncGenerator<Buffer> {
    const end = at + length;
    for (let position = at; position < Math.min(end, this.spilled); ) {
      const n = Math.min(READ_CHUNK, Math.min(end, this.spilled) - position);
      const buffer = Buffer.allocUnsafe(n);
      const { bytesRead } = await this.handle!.read(buffer, 0, n, position);
      if (bytesRead === 0) throw new Error(`internal: literal scratch file ${this.spillPath} ends at ${position}`);
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
    if (end > this.spilled) {
      if (this.held.length > 1) this.held = [Buffer.concat(this.held)]; // once, when the reading starts
      const base = this.spilled;
      yield this.held[0].subarray(Math.max(at, base) - base, end - base);
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) {
      await handle.close().catch(() => undefined);
      await rm(this.spillPath, { force: true });
    }
  }
}
