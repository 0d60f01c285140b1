// The `xattrs` field of a manifest entry: the path's extended attributes
// (POSIX ACLs among them, as system.posix_acl_access / _default), name ->
// value in base64, names sorted, present only when there are any. It is
// checked as Linux would check it, so a hostile manifest's attributes are
// BACKUP_CORRUPT before a restore writes anything, and bounded, so that one
// entry cannot make a manifest line of any size.
import { aclProblem } from '../posix-acl';
import { XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_SIZE_MAX } from '../xattrs';

/** Name -> base64 value, names in ascending order. */
export type EntryXattrs = Record<string, string>;

/** Names and values of one entry, in bytes (Linux bounds each value to 64 KiB, the names to 64 KiB; not their sum). */
export const MAX_ENTRY_XATTR_BYTES = 1 << 20;

export const ACL_ACCESS = 'system.posix_acl_access';
export const ACL_DEFAULT = 'system.posix_acl_default';

const NAMESPACES = ['security.', 'system.', 'trusted.', 'user.'];
/** Canonical base64: whole quanta, padding only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Attributes only a privileged process may set (CAP_SYS_ADMIN for trusted.*, the security modules' rules for security.*). */
export function isPrivilegedXattr(name: string): boolean {
  return name.startsWith('trusted.') || name.startsWith('security.');
}

/** Why `name` is not an attribute name Linux allows, or undefined when it is. */
export function xattrNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name);
  if (bytes > XATTR_NAME_MAX) return `a name longer than ${XATTR_NAME_MAX} bytes`;
  if (name.includes('\0') || Buffer.from(name, 'utf8').toString('utf8') !== name) return `a malformed name '${name.slice(0, 64)}'`;
  const namespace = NAMESPACES.find((n) => name.startsWith(n));
  if (!namespace || name.length === namespace.length) return `a name outside Linux's namespaces: '${name.slice(0, 64)}'`;
  return undefined;
}

/** Bytes a canonical base64 string decodes to, without decoding it. */
function decodedLength(base64: string): number {
  return (base64.length / 4) * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
}

/** Why one attribute cannot be restored on an entry of type `type`, or undefined when it can. */
function attributeProblem(name: string, value: Buffer, type: string): string | undefined {
  if (name === ACL_ACCESS || name === ACL_DEFAULT) {
    if (type === 'symlink') return 'an ACL on a symlink';
    if (name === ACL_DEFAULT && type !== 'dir') return 'a default ACL on something other than a directory';
    return aclProblem(value);
  }
  // Linux keeps user.* on regular files and directories only.
  if (name.startsWith('user.') && type !== 'file' && type !== 'dir') return `'${name}' on a ${type}`;
  return undefined;
}

/** Why an entry's `xattrs` field is malformed, or undefined when it is fine. */
export function xattrsProblem(xattrs: unknown, type: string): string | undefined {
  if (!xattrs || typeof xattrs !== 'object' || Array.isArray(xattrs)) return 'not an object';
  const entries = Object.entries(xattrs as Record<string, unknown>);
  if (entries.length === 0) return 'an empty set (written as no field)';
  let listBytes = 0;
  let totalBytes = 0;
  let previous: string | undefined;
  for (const [name, encoded] of entries) {
    const nameProblem = xattrNameProblem(name);
    if (nameProblem) return nameProblem;
    if (previous !== undefined && !(previous < name)) return 'names out of order';
    previous = name;
    if (typeof encoded !== 'string' || encoded.length > ((XATTR_SIZE_MAX + 2) / 3) * 4 + 4 || !BASE64.test(encoded)) return `'${name}' has a malformed value`;
    const length = decodedLength(encoded);
    if (length > XATTR_SIZE_MAX) return `'${name}' has a value longer than ${XATTR_SIZE_MAX} bytes`;
    listBytes += Buffer.byteLength(name) + 1;
    totalBytes += Buffer.byteLength(name) + length;
    if (listBytes > XATTR_LIST_MAX) return `more names than Linux lists (${XATTR_LIST_MAX} bytes)`;
    if (totalBytes > MAX_ENTRY_XATTR_BYTES) return `more than ${MAX_ENTRY_XATTR_BYTES} bytes of attributes`;
    const value = Buffer.from(encoded, 'base64');
    if (value.toString('base64') !== encoded) return `'${name}' has a malformed value`; // stray bits in the last quantum
    const problem = attributeProblem(name, value, type);
    if (problem) return problem;
  }
  return undefined;
}

/** The field for a set of attributes (sorted), or undefined for none. */
export function xattrsField(attributes: ReadonlyMap<string, Buffer>): EntryXattrs | undefined {
  if (attributes.size === 0) return undefined;
  const field: EntryXattrs = {};
  for (const name of [...attributes.keys()].sort()) field[name] = attributes.get(name)!.toString('base64');
  return field;
}

/** Why one attribute read from a live path cannot go into an entry of type `type` (it would make the entry malformed), or undefined. */
export function unstorableXattr(name: string, value: Buffer, type: string): string | undefined {
  return xattrNameProblem(name) ?? attributeProblem(name, value, type);
}
