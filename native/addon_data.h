// Per-environment state (one per main thread or worker thread).
#pragma once

#include <napi.h>

namespace lrs {

struct AddonData {
  Napi::FunctionReference signature_set_constructor;
  Napi::FunctionReference error_constructor;  // set from JS: LibrsyncError
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace lrs
