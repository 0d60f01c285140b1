// The binary form of a POSIX ACL in the system.posix_acl_access and
// system.posix_acl_default attributes (linux/posix_acl_xattr.h): a
// little-endian u32 version (2), then 8-byte entries of u16 tag, u16
// permissions, u32 uid or gid. aclProblem() applies the checks the kernel
// makes before it accepts one (posix_acl_from_xattr, posix_acl_valid), so
// an ACL it lets through is one setxattr takes (a file system may still
// refuse one too big for it).

export const ACL_XATTR_VERSION = 2;

export const ACL_TAG = {
  USER_OBJ: 0x01,
  USER: 0x02,
  GROUP_OBJ: 0x04,
  GROUP: 0x08,
  MASK: 0x10,
  OTHER: 0x20,
} as const;

const HEADER = 4;
const ENTRY = 8;
/** (uid_t)-1 is no id, never a user or group. */
const NO_ID = 0xffffffff;

/** Why `value` is not a valid ACL attribute, or undefined when it is. */
export function aclProblem(value: Buffer): string | undefined {
  if (value.length < HEADER + ENTRY || (value.length - HEADER) % ENTRY !== 0) return 'an ACL of a malformed length';
  if (value.readUInt32LE(0) !== ACL_XATTR_VERSION) return 'an ACL of an unknown version';
  // The order the kernel requires: owner, named users, owning group, named groups, mask, other.
  let state: 'user-obj' | 'users' | 'groups' | 'other' | 'done' = 'user-obj';
  let needsMask = false;
  for (let at = HEADER; at < value.length; at += ENTRY) {
    const tag = value.readUInt16LE(at);
    const perm = value.readUInt16LE(at + 2);
    const id = value.readUInt32LE(at + 4);
    if (perm > 7) return 'an ACL entry with unknown permission bits';
    if (state === 'done') return 'ACL entries after the "other" entry';
    switch (tag) {
      case ACL_TAG.USER_OBJ:
        if (state !== 'user-obj') return 'an ACL out of order';
        state = 'users';
        break;
      case ACL_TAG.USER:
      case ACL_TAG.GROUP:
        if (state !== (tag === ACL_TAG.USER ? 'users' : 'groups')) return 'an ACL out of order';
        if (id === NO_ID) return 'an ACL entry for no user or group';
        needsMask = true;
        break;
      case ACL_TAG.GROUP_OBJ:
        if (state !== 'users') return 'an ACL out of order';
        state = 'groups';
        break;
      case ACL_TAG.MASK:
        if (state !== 'groups') return 'an ACL out of order';
        state = 'other';
        break;
      case ACL_TAG.OTHER:
        if (state !== 'other' && !(state === 'groups' && !needsMask)) return 'an ACL without its owner, group, mask or other entry';
        state = 'done';
        break;
      default:
        return 'an ACL entry of an unknown type';
    }
  }
  if (state !== 'done') return 'an ACL without its owner, group, mask or other entry';
  return undefined;
}
