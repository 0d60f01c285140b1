// Gives a restored path the extended attributes (and so the POSIX ACLs)
// its entry holds, on a descriptor opened with O_NOFOLLOW or on a path that
// is never followed. The path must end with exactly those: a new file
// inherits an access ACL from a directory of TARGET with a default ACL (and
// a new directory the default ACL too), and a directory kept under
// --overwrite has attributes of its own; user.* and ACL attributes the
// entry does not hold are removed. security.* and trusted.* ones are left
// as they are (a security module labels new files itself), and are set
// only by root. What cannot be set (a file system without attributes,
// a value it will not hold, no permission) is left out with a warning
// naming each one; without the native addon, with one warning per path
// that has any.
import { listXattrs, removeXattr, setXattr, xattrsUnavailableReason, XattrTarget } from '../xattrs';
import { ManifestEntry } from './manifest';
import { ACL_ACCESS, ACL_DEFAULT, isPrivilegedXattr } from './xattr-field';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Failures that leave one attribute out, with a warning, rather than fail the restore. */
const LEFT_OUT = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EACCES', 'E2BIG', 'ERANGE', 'ENOSPC', 'EDQUOT', 'EINVAL']);

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? '';
}

/** Attributes restore owns on a path: those it removes when the entry does not hold them. */
function managed(name: Buffer): boolean {
  const text = name.toString('latin1');
  return text.startsWith('user.') || text === ACL_ACCESS || text === ACL_DEFAULT;
}

export async function restoreXattrs(target: XattrTarget, entry: ManifestEntry, warn: (message: string) => void): Promise<void> {
  const wanted = entry.xattrs ?? {};
  const names = Object.keys(wanted);
  const reason = xattrsUnavailableReason();
  if (reason !== undefined) {
    if (names.length) warn(`extended attributes not restored (${reason}): ${names.join(', ')}`);
    return;
  }
  let present: Buffer[];
  try {
    present = await listXattrs(target);
  } catch (err) {
    if (!LEFT_OUT.has(codeOf(err))) throw err;
    // The file system keeps no attributes (or lets us see none).
    if (names.length) warn(`extended attributes not restored (${codeOf(err)}): ${names.join(', ')}`);
    return;
  }
  /** Names not restored, by why (in the order met): "user.a, user.b (ENOTSUP); trusted.t (needs root)". */
  const leftOut = new Map<string, string[]>();
  const leave = (name: string, why: string): void => void (leftOut.get(why) ?? leftOut.set(why, []).get(why)!).push(name);
  for (const name of present) {
    if (!managed(name) || Object.prototype.hasOwnProperty.call(wanted, name.toString('utf8'))) continue;
    try {
      await removeXattr(target, name);
    } catch (err) {
      if (codeOf(err) === 'ENODATA') continue;
      if (!LEFT_OUT.has(codeOf(err))) throw err;
      leave(name.toString('utf8'), `${codeOf(err)}: found on the restored path, and not removed`);
    }
  }
  for (const name of names) {
    if (isPrivilegedXattr(name) && !isRoot) {
      leave(name, 'needs root');
      continue;
    }
    try {
      await setXattr(target, name, Buffer.from(wanted[name], 'base64'));
    } catch (err) {
      if (!LEFT_OUT.has(codeOf(err))) throw err;
      leave(name, codeOf(err));
    }
  }
  if (leftOut.size) warn(`extended attributes not restored: ${[...leftOut].map(([why, list]) => `${list.join(', ')} (${why})`).join('; ')}`);
}
