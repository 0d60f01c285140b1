// Setting a file's times to the nanosecond. Node's fs.utimes goes through
// libuv, which truncates to microseconds; restoring a backup must give
// back the exact mtime, so the addon calls utimensat itself, on the
// thread pool like any other file system call.
#pragma once

#include <napi.h>

namespace lrs {

// setFileTimes(path, mtimeNs: bigint, noFollow: boolean, callback(err))
// sets both atime and mtime of `path` (of the link itself with noFollow).
Napi::Value SetFileTimes(const Napi::CallbackInfo& info);

}  // namespace lrs
