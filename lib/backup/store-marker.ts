// The format marker every store keeps at its root (librsync-backup.json):
// what says "this is a backup store, of a format this version reads",
// checked the same way whatever the store.
import { LibrsyncError } from '../errors';

/** BACKUP_STORE_INVALID unless `text` is the marker of a store this version reads; `file` names it in messages. */
export function checkStoreMarker(text: string, location: string, file: string, expected: { format: string; version: number }): void {
  let marker: { format?: unknown; version?: unknown };
  try {
    marker = JSON.parse(text);
  } catch {
    throw new LibrsyncError('BACKUP_STORE_INVALID', `${file} is not valid JSON`);
  }
  if (marker.format !== expected.format) throw new LibrsyncError('BACKUP_STORE_INVALID', `${location} is not a librsync backup store`);
  if (marker.version !== expected.version) {
    throw new LibrsyncError('BACKUP_STORE_INVALID', `${location} has store format version ${String(marker.version)}; this version reads ${expected.version}`);
  }
}
