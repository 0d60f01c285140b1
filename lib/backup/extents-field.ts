// The `extents` of a manifest entry (a sparse version's data) and of a raw
// recipe step (what its piece holds): [offset, length] pairs, sorted, not
// overlapping, non-empty, within the size, at most MAX_EXTENTS of them. A
// crafted store cannot make restore write outside a file's size, loop, or
// hold an unbounded list.
import { MAX_EXTENTS } from '../data-extents';

/** Why `value` is not a valid extent list for `size` bytes, or undefined when it is. */
export function extentsProblem(value: unknown, size: number): string | undefined {
  if (!Array.isArray(value)) return 'not a list';
  if (value.length > MAX_EXTENTS) return `${value.length} extents, more than ${MAX_EXTENTS}`;
  let end = 0;
  for (const extent of value) {
    if (!Array.isArray(extent) || extent.length !== 2) return 'an extent is not an [offset, length] pair';
    const [offset, length] = extent as unknown[];
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || (offset as number) < 0 || (length as number) < 1) return 'an extent has a malformed offset or length';
    if ((offset as number) < end) return 'extents out of order or overlapping';
    end = (offset as number) + (length as number);
    if (end > size) return `an extent ends past the size (${size} bytes)`;
  }
  return undefined;
}
