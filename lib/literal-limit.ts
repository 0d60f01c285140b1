// The longest literal a delta writes before starting another. librsync
// 2.3.2 (Debian, Ubuntu) cuts pending literals at 32768 bytes; 2.3.3 and
// later (Fedora, Homebrew) at 65533 (MAX_DELTA_CMD - 3). Deltas with a
// literal run above 32 KiB differ between the two, so every encoder here
// writes what the librsync linked into the addon writes, and 2.3.2's rule
// when the addon is not loaded.
import { nativeBinding, nativeLoadError } from './native-binding';

export const LITERAL_LIMIT_2_3_2 = 32768;
export const LITERAL_LIMIT_2_3_3 = 65533;

/** The literal limit of a librsync version string such as "2.3.2". */
export function literalLimitFor(version: string): number {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version); // "librsync 2.3.2"
  if (!m) return LITERAL_LIMIT_2_3_2;
  const [major, minor, patch] = m.slice(1).map(Number);
  const atLeast233 = major > 2 || (major === 2 && (minor > 3 || (minor === 3 && patch >= 3)));
  return atLeast233 ? LITERAL_LIMIT_2_3_3 : LITERAL_LIMIT_2_3_2;
}

let linked: number | undefined;

/** The limit of the librsync the addon links, or 2.3.2's without the addon. */
export function linkedLiteralLimit(): number {
  if (linked === undefined) {
    linked = nativeLoadError() === undefined ? literalLimitFor(nativeBinding().librsyncVersion) : LITERAL_LIMIT_2_3_2;
  }
  return linked;
}
