// The SHA-256 of a file, read alone, trusted only when the file held still
// during the read (the same checks a capture makes). Used to recognise a
// large file as a copy of one already stored before storing it.
import { BigIntStats, constants } from 'node:fs';
import { FileHandle, lstat, open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestStream } from './digest-stream';
import { sameVersion } from './file-capture';
import { settledStat } from './settled-stat';

const READ_CHUNK = 1 << 20;

/** The digest and the stat it belongs to; undefined when the file could not be read or changed meanwhile (the caller reads it as usual). */
export async function stableDigest(
  absolute: string,
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<{ sha256: string; stat: BigIntStats } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const opened = await handle.stat({ bigint: true });
    if (!opened.isFile()) return undefined;
    const settled = await settledStat(handle, opened);
    if (settled.racy) return undefined;
    const before = settled.stat;
    const digest = new DigestStream(undefined, onBytes);
    const input = handle.createReadStream({ start: 0, end: Math.max(0, Number(before.size) - 1), highWaterMark: READ_CHUNK, autoClose: false, emitClose: false });
    const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    await pipeline(input, digest, discard, { signal });
    const after = await handle.stat({ bigint: true });
    const atPath = await lstat(absolute, { bigint: true }).catch(() => undefined);
    const still = sameVersion(before, after) && BigInt(digest.bytes) === before.size && atPath?.ino === after.ino && atPath?.dev === after.dev;
    return still ? { sha256: digest.sha256, stat: before } : undefined;
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined; // a read error: the capture that follows meets it and reports it
  } finally {
    await handle.close().catch(() => undefined);
  }
}
