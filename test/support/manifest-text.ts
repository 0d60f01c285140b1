// A manifest's text, whichever its version (plain lines, or frames of
// them), for tests that read or craft manifests. Synchronous, for tests
// that edit stores in place; zstd-napi's one-shot decompression decodes.
// A test writes a crafted manifest back as plain lines: readers take both.
import { readFileSync } from 'node:fs';
import { decompress } from 'zstd-napi';
import { FRAME_HEADER_BYTES, FRAME_STORED, parseFrameHeader } from '../../lib/backup/compression';

export function manifestTextOf(bytes: Buffer): string {
  if (bytes.length === 0 || bytes[0] === 0x7b) return bytes.toString('utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const frame = parseFrameHeader(bytes, at);
    const payload = bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + frame.storedLength);
    parts.push(frame.kind === FRAME_STORED ? payload : decompress(payload));
    at += FRAME_HEADER_BYTES + frame.storedLength;
  }
  return Buffer.concat(parts).toString('utf8');
}

export function readManifest(path: string): string {
  return manifestTextOf(readFileSync(path));
}
