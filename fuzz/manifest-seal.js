'use strict';
// Re-seals an edited manifest the way the writer does (lib/backup/manifest-
// writer.ts; test/support/manifest-seal.ts for tests): the trailer's sha256
// is the SHA-256 of every line before it, then of the trailer's other
// fields as JSON. A hostile manifest that is re-sealed gets past the digest
// check, so what follows it (shape checks, restore) is what gets tested.
const { createHash } = require('node:crypto');

/** body: the header and entry lines, each ending in '\n'. */
function seal(body, trailer) {
  const { sha256: _old, ...fields } = trailer;
  const sha256 = createHash('sha256').update(body).update(JSON.stringify(fields)).digest('hex');
  return `${body}${JSON.stringify({ ...fields, sha256 })}\n`;
}

/** Splits manifest text into { header, entries, trailer } objects (for a valid manifest). */
function parseManifest(text) {
  const lines = text.split('\n').slice(0, -1).map((l) => JSON.parse(l));
  return { header: lines[0], entries: lines.slice(1, -1), trailer: lines[lines.length - 1] };
}

/**
 * A manifest's text from its stored bytes: version 1 is the text; version 2
 * frames of it (9-byte header: kind, raw length, stored length; kind 1 is zstd).
 */
function manifestTextOf(bytes) {
  if (bytes.length === 0 || bytes[0] === 0x7b) return bytes.toString('utf8');
  const { decompress } = require('zstd-napi');
  const parts = [];
  for (let at = 0; at < bytes.length; ) {
    const kind = bytes[at];
    const stored = bytes.readUInt32BE(at + 5);
    const payload = bytes.subarray(at + 9, at + 9 + stored);
    parts.push(kind === 0 ? payload : decompress(payload));
    at += 9 + stored;
  }
  return Buffer.concat(parts).toString('utf8');
}

module.exports = { seal, parseManifest, manifestTextOf };
