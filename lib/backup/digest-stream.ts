// A pass-through that counts and SHA-256-hashes what goes by. Given an
// expected digest (or length) it fails at the end, before its output ends, when the
// bytes differ: whatever follows it never commits wrong data.
import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

export class DigestStream extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private result: string | undefined;

  constructor(
    private readonly expected?: { sha256?: string; length?: number; mismatch: () => Error },
    private readonly onBytes?: (chunkLength: number) => void,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  /** Hex SHA-256 of everything that went through (once ended). */
  get sha256(): string {
    this.result ??= this.hash.digest('hex');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const e = this.expected;
    if (e && ((e.sha256 !== undefined && this.sha256 !== e.sha256) || (e.length !== undefined && e.length !== this.bytes))) callback(e.mismatch());
    else callback();
  }
}
