// Extended attributes (and POSIX ACLs, the system.posix_acl_* attributes)
// through the native addon: Node has no API for them. A target is a path,
// never followed when it is a symlink, or an open descriptor, which must
// stay open until the promise settles. Each call is one thread-pool work
// item. System failures are Node-style errors (code ENOTSUP, ENODATA,
// E2BIG, EPERM, ..., with errno, syscall, path or fd, and `attribute`).
// Without the addon every call throws RS_ADDON_UNAVAILABLE; elsewhere than
// Linux every call fails with ENOTSUP.
import { fromNativeError } from './errors';
import { nativeBinding, nativeLoadReason } from './native-binding';

export type XattrTarget = string | number;

/** Linux's bounds: bytes in a name, in a value, in the list of a file's names (each with its NUL). */
export const XATTR_NAME_MAX = 255;
export const XATTR_SIZE_MAX = 65536;
export const XATTR_LIST_MAX = 65536;

/** One attribute as readXattrs() found it: its value, or why there is none. */
export interface XattrRead {
  name: Buffer;
  value?: Buffer;
  /** It could not be read: the errno name (EACCES, ...). */
  code?: string;
  /** Left unread: the attributes before it already used up maxBytes. */
  skipped?: true;
}

/** Why extended attributes cannot be read or set in this process, or undefined when they can. */
export function xattrsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `extended attributes are supported on Linux only, not on ${process.platform}`;
  const reason = nativeLoadReason();
  return reason === undefined ? undefined : `the native addon is not loaded (${reason})`;
}

function call<T>(start: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      start((err, value) => (err ? reject(err) : resolve(value)));
    } catch (err) {
      reject(fromNativeError(err, 'xattr')); // arguments the addon refused: RS_PARAM_ERROR
    }
  });
}

/** The names of the target's attributes (those the caller may see: trusted.* only for root). */
export function listXattrs(target: XattrTarget): Promise<Buffer[]> {
  return call((done) => nativeBinding().xattrList(target, done));
}

export function getXattr(target: XattrTarget, name: string | Uint8Array): Promise<Buffer> {
  return call((done) => nativeBinding().xattrGet(target, name, done));
}

/** Creates or replaces an attribute; 'create' fails with EEXIST if it exists, 'replace' with ENODATA if not. */
export function setXattr(target: XattrTarget, name: string | Uint8Array, value: Uint8Array, only?: 'create' | 'replace'): Promise<void> {
  const flags = only === 'create' ? 1 : only === 'replace' ? 2 : 0;
  return call<void>((done) => nativeBinding().xattrSet(target, name, value, flags, (err) => done(err, undefined)));
}

export function removeXattr(target: XattrTarget, name: string | Uint8Array): Promise<void> {
  return call<void>((done) => nativeBinding().xattrRemove(target, name, (err) => done(err, undefined)));
}

/**
 * Every attribute with its value, in one work item, names in byte order.
 * One removed meanwhile is left out; once names and values read add up to
 * more than `maxBytes`, the rest are listed as skipped.
 */
export function readXattrs(target: XattrTarget, maxBytes = Number.MAX_SAFE_INTEGER): Promise<XattrRead[]> {
  return call((done) => nativeBinding().xattrReadAll(target, maxBytes, done));
}
