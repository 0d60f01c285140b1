// A manifest's text, whichever its version (plain lines, or frames of
// them), for tests that read or craft manifests. Synchronous, for tests
// that edit stores in place; zstd-napi's one-shot decompression decodes.
// A test writes a crafted manifest back as plain lines: readers take both.
import { readFileSync } from 'node:fs';
import { decompress } from 'zstd-napi';
import { LocalDirectoryStore } from '../../lib/backup';
import { backupManifest } from '../../lib/backup/backup-entries';
import { FRAME_HEADER_BYTES, FRAME_STORED, parseFrameHeader } from '../../lib/backup/compression';
import { ManifestEntry } from '../../lib/backup/manifest';

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

/** A backup's entries with the inherited ones resolved (whole), as a test crafting a manifest wants them. */
export async function resolvedEntries(store: string, name: string, chain: string, id: string): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for await (const e of backupManifest(new LocalDirectoryStore(store), name, chain, id).entries()) out.push(e);
  return out;
}
