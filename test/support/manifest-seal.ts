// Crafted manifests for tests: a body of entry lines and a trailer whose
// digest matches them, computed as the writer does (the lines, then the
// trailer's own fields), so a test can edit a store "validly".
import { createHash } from 'node:crypto';

export function sealed(body: string, trailer: Record<string, unknown>): string {
  const { sha256: _old, ...fields } = trailer;
  const sha256 = createHash('sha256').update(body).update(JSON.stringify(fields)).digest('hex');
  return `${body}${JSON.stringify({ ...fields, sha256 })}\n`;
}

/** The manifest text with its trailer replaced by `edit(trailer)`, digest recomputed. */
export function withTrailer(text: string, edit: (trailer: Record<string, unknown>) => void): string {
  const lines = text.split('\n').slice(0, -1);
  const trailer = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  edit(trailer);
  return sealed(lines.slice(0, -1).map((l) => `${l}\n`).join(''), trailer);
}
