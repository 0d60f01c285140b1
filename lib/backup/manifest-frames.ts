// How a version-2 manifest's lines are laid out in its object: frames of
// the compression codec (compression/), the header line's and the trailer
// line's stored as they are, each in frames of its own, so that list can
// read both ends of every manifest with two small ranged reads, as it does
// a version-1 manifest (plain JSON lines, told apart by its first byte).
import { Readable, Writable, pipeline } from 'node:stream';
import { CompressionMode, FRAME_HEADER_BYTES, FRAME_RAW_MAX, FrameDecoder, encodeFrame, parseFrameHeader } from './compression';
import { manifestCorrupt } from './manifest';
import { drained, endAndFinish } from './stream-waits';

/** Raw bytes of entry lines gathered before they are compressed as one frame. */
export const MANIFEST_FRAME_BYTES = 256 << 10;

/** A version-1 manifest starts with its header line's '{'; a frame starts with its kind (0 or 1). */
const OPEN_BRACE = 0x7b;
/** How every trailer line starts (JSON.stringify of a ManifestTrailer: `end` is its first field). */
const TRAILER_START = Buffer.from('{"end":true,');
const STORED = 0;

/** Pieces of at most FRAME_RAW_MAX bytes. */
function slices(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < raw.length; at += FRAME_RAW_MAX) out.push(raw.subarray(at, at + FRAME_RAW_MAX));
  return out;
}

/** Writes lines as frames, one frame being compressed at a time, with the output's back-pressure. */
export class FrameWriter {
  storedBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The frames written so far (the header's are written before any entry). */
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly output: Writable,
    private readonly compression: CompressionMode,
  ) {}

  /** Lines in stored frames of their own (the header). */
  sealed(raw: Buffer): void {
    this.written = this.written.then(() => this.write(raw, 'off'));
    this.written.catch(() => undefined); // awaited by add() / finish()
  }

  async add(line: Buffer): Promise<void> {
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= MANIFEST_FRAME_BYTES) await this.flush();
    else await this.written;
  }

  /** The last lines (the trailer) in stored frames, then the end of the object. */
  async finish(raw: Buffer): Promise<void> {
    await this.flush();
    await this.write(raw, 'off');
    await endAndFinish(this.output);
  }

  private async flush(): Promise<void> {
    await this.written;
    if (this.pendingBytes === 0) return;
    const raw = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.written = this.write(raw, this.compression);
    await this.written;
  }

  private async write(raw: Buffer, mode: CompressionMode): Promise<void> {
    for (const slice of slices(raw)) {
      const frame = await encodeFrame(slice, mode);
      this.storedBytes += frame.length;
      if (!this.output.write(frame)) await drained(this.output);
    }
  }
}

/** The text of a manifest, whichever its version: chunks of its lines. */
export async function* manifestText(input: Readable, where: string): AsyncGenerator<Buffer> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  if (first.value[0] === OPEN_BRACE) {
    yield* all();
    return;
  }
  const decoder = new FrameDecoder();
  const text = pipeline(Readable.from(all(), { objectMode: false }), decoder, () => undefined);
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw prefixed(err, where);
  } finally {
    input.destroy();
  }
}

function prefixed(err: unknown, where: string): unknown {
  if (err instanceof Error && (err as { code?: string }).code === 'BACKUP_CORRUPT' && !err.message.includes(where)) {
    return manifestCorrupt(where, err.message);
  }
  return err;
}

/** The raw bytes of stored frames from `at` to the end of `bytes` (all of them stored, whole), or undefined when they are not. */
function storedFrames(bytes: Buffer, at: number, stopAtNewline: boolean): Buffer | undefined {
  const parts: Buffer[] = [];
  while (at < bytes.length) {
    if (bytes.length - at < FRAME_HEADER_BYTES) return undefined;
    let frame;
    try {
      frame = parseFrameHeader(bytes, at);
    } catch {
      return undefined;
    }
    const end = at + FRAME_HEADER_BYTES + frame.storedLength;
    if (frame.kind !== STORED || end > bytes.length) return undefined;
    const raw = bytes.subarray(at + FRAME_HEADER_BYTES, end);
    parts.push(raw);
    at = end;
    if (stopAtNewline && raw.includes(10)) break;
  }
  return Buffer.concat(parts);
}

/** The header line (without its newline) from a manifest's first bytes; BACKUP_CORRUPT when they hold none. */
export function headerLine(head: Buffer, where: string): string {
  const text = head[0] === OPEN_BRACE ? head : storedFrames(head, 0, true);
  const newline = text ? text.indexOf(10) : -1;
  if (!text || newline < 0) throw manifestCorrupt(where, 'no complete header line');
  return text.subarray(0, newline).toString('utf8');
}

/**
 * The trailer line (without its newline) from a manifest's last bytes,
 * or 'more' when they may not reach back to its start (read a longer
 * tail); BACKUP_CORRUPT when the object cannot end with a trailer.
 */
export function trailerLine(tail: Buffer, whole: boolean, version1: boolean, where: string): string | 'more' {
  if (version1) {
    if (tail[tail.length - 1] !== 10) throw manifestCorrupt(where, 'truncated (no trailer)');
    const start = tail.lastIndexOf(10, tail.length - 2) + 1;
    if (start === 0 && !whole) return 'more';
    return tail.subarray(start, tail.length - 1).toString('utf8');
  }
  const start = tail.lastIndexOf(TRAILER_START);
  if (start < FRAME_HEADER_BYTES) {
    if (!whole) return 'more';
    throw manifestCorrupt(where, 'truncated (no trailer)');
  }
  const text = storedFrames(tail, start - FRAME_HEADER_BYTES, false);
  if (!text || text[text.length - 1] !== 10 || text.indexOf(10) !== text.length - 1) throw manifestCorrupt(where, 'truncated (no trailer)');
  return text.subarray(0, text.length - 1).toString('utf8');
}

/** Whether a manifest object is version 1 (plain lines), from its first byte. */
export function isPlainManifest(head: Buffer): boolean {
  return head[0] === OPEN_BRACE;
}
