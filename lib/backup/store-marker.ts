// The format marker every store keeps at its root (librsync-backup.json):
// what says "this is a backup store, of a format this version reads",
// checked the same way whatever the store.
import { LibrsyncError } from '../errors';

/** The marker this version writes: format 2 (compressed pieces and manifests, inherited entries) since format 1. */
export const STORE_FORMAT = { format: 'librsync-backup', version: 2 } as const;
/** Store formats this version reads. A backup into a format-1 store upgrades its marker first (see upgradeNeeded). */
export const READABLE_STORE_VERSIONS: readonly number[] = [1, 2];

/**
 * The store format version of `text`, or BACKUP_STORE_INVALID unless it is
 * the marker of a store this version reads; `file` names it in messages.
 */
export function checkStoreMarker(text: string, location: string, file: string): number {
  let marker: { format?: unknown; version?: unknown };
  try {
    marker = JSON.parse(text);
  } catch {
    throw new LibrsyncError('BACKUP_STORE_INVALID', `${file} is not valid JSON`);
  }
  if (marker.format !== STORE_FORMAT.format) throw new LibrsyncError('BACKUP_STORE_INVALID', `${location} is not a librsync backup store`);
  if (!READABLE_STORE_VERSIONS.includes(marker.version as number)) {
    throw new LibrsyncError('BACKUP_STORE_INVALID', `${location} has store format version ${String(marker.version)}; this version reads ${READABLE_STORE_VERSIONS.join(' and ')}`);
  }
  return marker.version as number;
}

/**
 * Whether opening a store of this version for writing must first rewrite
 * its marker: objects of the current format are about to go in, and a
 * version that reads only format 1 must refuse the store, not misread it.
 */
export function upgradeNeeded(version: number, create: boolean): boolean {
  return create && version < STORE_FORMAT.version;
}

/** The marker's text. */
export function storeMarkerText(): string {
  return `${JSON.stringify(STORE_FORMAT)}\n`;
}
