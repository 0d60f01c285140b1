// Reads a path's extended attributes (and so its POSIX ACLs) into the form
// its manifest entry keeps, without following a symlink. What cannot be
// kept (an attribute that cannot be read, a name that is not UTF-8, more
// than an entry may hold) is left out with a warning; a file system without
// attributes simply has none. Where the native addon does not load, a
// backup goes on without attributes and says so once.
import { XattrRead, readXattrs, xattrsUnavailableReason } from '../xattrs';
import { EntryType } from './manifest';
import { EntryXattrs, MAX_ENTRY_XATTR_BYTES, unstorableXattr, xattrsField, xattrsProblem } from './xattr-field';

/** Failures that mean there is nothing to read: a file system without attributes, a path gone since the walk saw it. */
const NOTHING_THERE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'ENOENT', 'ENOTDIR']);
/** Failures that leave the attributes out, with a warning: no permission, more names than Linux lists (E2BIG). */
const LEFT_OUT = new Set(['EACCES', 'EPERM', 'E2BIG', 'ERANGE']);

export interface LiveXattrs {
  xattrs?: EntryXattrs;
  /** Attributes left out, each with why. */
  leftOut: string[];
}

/** A name as `getfattr -e` would let one find it: printable ASCII as is, other bytes as \xNN. */
function shownName(raw: Buffer): string {
  let out = '';
  for (const byte of raw) out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

/** The attributes of a live path, as an entry of type `type` keeps them. Throws only on unexpected failures (EIO, ...). */
export async function liveXattrs(absolute: string, type: EntryType): Promise<LiveXattrs> {
  let items: XattrRead[];
  try {
    items = await readXattrs(absolute, MAX_ENTRY_XATTR_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (NOTHING_THERE.has(code)) return { leftOut: [] };
    if (LEFT_OUT.has(code)) return { leftOut: [`all (${code})`] };
    throw err;
  }
  const kept = new Map<string, Buffer>();
  const leftOut: string[] = [];
  for (const item of items) {
    const name = item.name.toString('utf8');
    const utf8 = Buffer.from(name, 'utf8').equals(item.name);
    const why = !utf8
      ? 'a name that is not valid UTF-8'
      : item.code ?? (item.skipped ? `more than ${MAX_ENTRY_XATTR_BYTES} bytes of attributes in all` : unstorableXattr(name, item.value!, type));
    if (why) leftOut.push(`${utf8 ? name : shownName(item.name)} (${why})`);
    else kept.set(name, item.value!);
  }
  const xattrs = xattrsField(kept);
  // Each attribute passed on its own, and readXattrs kept to the bound: the whole must pass too, or no restore could read the entry.
  const problem = xattrs && xattrsProblem(xattrs, type);
  if (problem) return { leftOut: [`all (${problem})`] };
  return { xattrs, leftOut };
}

/** Attributes for one backup's entries: each path's warnings, and once the reason when there can be none. */
export class XattrCapture {
  private unavailableSaid = false;

  constructor(private readonly warn: (path: string, message: string) => void) {}

  async read(path: string, absolute: string, type: EntryType): Promise<EntryXattrs | undefined> {
    const reason = xattrsUnavailableReason();
    if (reason !== undefined) {
      if (!this.unavailableSaid) this.warn('', `extended attributes and ACLs are not backed up: ${reason}`);
      this.unavailableSaid = true;
      return undefined;
    }
    const { xattrs, leftOut } = await liveXattrs(absolute, type);
    if (leftOut.length) this.warn(path, `extended attributes left out of the backup: ${leftOut.join(', ')}`);
    return xattrs;
  }
}
