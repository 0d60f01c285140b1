// Flushing a whole file system at once. A restore writes thousands of
// small files: fsync of each costs a journal commit apiece, while one
// syncfs(2) makes every file written so far on that file system durable in
// one commit. Node has no binding for it; it runs on the thread pool like
// any other file system call.
#pragma once

#include <napi.h>

namespace lrs {

// syncFileSystem(fd, callback(err)): syncfs(fd) where the system has it
// (Linux); elsewhere sync(), which flushes every file system.
Napi::Value SyncFileSystem(const Napi::CallbackInfo& info);

}  // namespace lrs
