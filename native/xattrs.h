// Extended attributes (and so POSIX ACLs, which Linux keeps in the
// system.posix_acl_* attributes). Node has no API for them. Every call
// works on a path without following a symlink (llistxattr, lgetxattr,
// lsetxattr, lremovexattr) or on a descriptor (the f* calls), as one work
// item on the libuv thread pool; arguments are checked and copied on the
// main thread first, so the pool thread touches no JavaScript value.
// Failures are shaped like Node's fs errors (code, errno, syscall, path
// or fd): ENOTSUP, ENODATA, E2BIG, EPERM, ...
// Elsewhere than Linux every call fails with ENOTSUP.
#pragma once

#include <napi.h>

#include <cstddef>

namespace lrs {

// Linux's bounds (linux/limits.h): a name, a value, the list of names.
constexpr size_t kXattrNameMax = 255;
constexpr size_t kXattrSizeMax = 65536;
constexpr size_t kXattrListMax = 65536;

// In every call, `target` is a path (string) or a descriptor (integer).
// xattrList(target, callback(err, names: Buffer[]))
Napi::Value XattrList(const Napi::CallbackInfo& info);
// xattrGet(target, name: string | Buffer, callback(err, value: Buffer))
Napi::Value XattrGet(const Napi::CallbackInfo& info);
// xattrSet(target, name, value: Buffer | Uint8Array, flags: 0 | 1 (create) | 2 (replace), callback(err))
Napi::Value XattrSet(const Napi::CallbackInfo& info);
// xattrRemove(target, name, callback(err))
Napi::Value XattrRemove(const Napi::CallbackInfo& info);
// xattrReadAll(target, maxBytes, callback(err, [{ name: Buffer, value?: Buffer, code?: string, skipped?: true }]))
// lists the names and reads every value in one work item, names in byte
// order. An attribute removed in between is left out; one that cannot be
// read carries the errno name in `code`; once the names and values read
// add up to more than maxBytes, the rest are `skipped` (names only).
Napi::Value XattrReadAll(const Napi::CallbackInfo& info);

}  // namespace lrs
