// Entry point of the native binding. Context-aware (Napi::Addon), so it
// can be loaded by the main thread and by any number of worker threads;
// each environment gets its own constructors and is cleaned up with it.
#include <librsync.h>
#include <napi.h>

#include "addon_data.h"
#include "data_extents.h"
#include "file_times.h"
#include "job.h"
#include "limits.h"
#include "signature_set.h"
#include "sync_fs.h"
#include "trace_capture.h"
#include "xattrs.h"

#ifndef LIBRSYNC_SOURCE_HASH
#define LIBRSYNC_SOURCE_HASH "unknown"
#endif

namespace lrs {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallTraceHandler();
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted when env is torn down

  Napi::Function signature_set = SignatureSet::Define(env);
  data->signature_set_constructor = Napi::Persistent(signature_set);

  exports.Set("NativeJob", Job::Define(env));
  exports.Set("NativeSignatureSet", signature_set);
  exports.Set("librsyncVersion", Napi::String::New(env, rs_librsync_version));
  exports.Set("sourceHash", Napi::String::New(env, LIBRSYNC_SOURCE_HASH));
  exports.Set("maxBlockLength", Napi::Number::New(env, kMaxBlockLength));
  exports.Set("dataExtents", Napi::Function::New(env, DataExtents, "dataExtents"));
  exports.Set("setFileTimes", Napi::Function::New(env, SetFileTimes, "setFileTimes"));
  exports.Set("syncFileSystem", Napi::Function::New(env, SyncFileSystem, "syncFileSystem"));
  exports.Set("xattrList", Napi::Function::New(env, XattrList, "xattrList"));
  exports.Set("xattrGet", Napi::Function::New(env, XattrGet, "xattrGet"));
  exports.Set("xattrSet", Napi::Function::New(env, XattrSet, "xattrSet"));
  exports.Set("xattrRemove", Napi::Function::New(env, XattrRemove, "xattrRemove"));
  exports.Set("xattrReadAll", Napi::Function::New(env, XattrReadAll, "xattrReadAll"));
  return exports;
}

}  // namespace lrs

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return lrs::Init(env, exports); }

NODE_API_MODULE(librsync, InitModule)
