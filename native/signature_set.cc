#include "signature_set.h"

#include "addon_data.h"

namespace lrs {
namespace {
// Marks a constructor call made by Create(); `new SignatureSet()` from JS
// without it is refused, since only a loadsig job can make a set. One per
// thread: the main thread and worker threads make sets at the same time,
// and a shared variable let one thread take another's set (or none).
thread_local SignaturePtr* pending_sig = nullptr;
}  // namespace

Napi::Function SignatureSet::Define(Napi::Env env) {
  return DefineClass(env, "NativeSignatureSet",
                     {
                         InstanceMethod<&SignatureSet::Info>("info"),
                         InstanceMethod<&SignatureSet::Close>("close"),
                         InstanceMethod<&SignatureSet::IsClosed>("isClosed"),
                         InstanceMethod<&SignatureSet::Share>("share"),
                     });
}

Napi::Object SignatureSet::Create(Napi::Env env, SignaturePtr sig) {
  SignaturePtr holder = std::move(sig);
  pending_sig = &holder;
  Napi::Object obj = GetAddonData(env)->signature_set_constructor.New({});
  pending_sig = nullptr;
  return obj;
}

SignatureSet::SignatureSet(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SignatureSet>(info) {
  if (pending_sig == nullptr) {
    Napi::TypeError::New(info.Env(), "SignatureSet cannot be constructed directly; use loadSignature()")
        .ThrowAsJavaScriptException();
    return;
  }
  sig_ = std::move(*pending_sig);
}

SignaturePtr SignatureSet::From(Napi::Env env, Napi::Value value) {
  AddonData* data = GetAddonData(env);
  if (!value.IsObject() ||
      !value.As<Napi::Object>().InstanceOf(data->signature_set_constructor.Value())) {
    Napi::Error err = Napi::TypeError::New(env, "expected a SignatureSet from loadSignature()");
    err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
    throw err;
  }
  SignatureSet* set = Unwrap(value.As<Napi::Object>());
  if (!set->sig_) {
    Napi::Error err = Napi::Error::New(env, "the SignatureSet has been closed");
    err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
    throw err;
  }
  return set->sig_;
}

Napi::Value SignatureSet::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (!sig_) return env.Null();
  const SignatureInfo& s = sig_->info();
  out.Set("magic", Napi::Number::New(env, s.magic));
  out.Set("blockLength", Napi::Number::New(env, s.block_length));
  out.Set("strongLength", Napi::Number::New(env, s.strong_length));
  out.Set("blockCount", Napi::Number::New(env, static_cast<double>(s.block_count)));
  return out;
}

Napi::Value SignatureSet::Close(const Napi::CallbackInfo& info) {
  sig_.reset();  // delta jobs still running keep their own reference
  return info.Env().Undefined();
}

// A second handle on the same loaded set: a job that starts delta jobs
// over time (one per stripe) keeps the set alive even if the caller
// closes theirs meanwhile.
Napi::Value SignatureSet::Share(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!sig_) {
    Napi::Error err = Napi::Error::New(env, "the SignatureSet has been closed");
    err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
    throw err;
  }
  return Create(env, sig_);
}

Napi::Value SignatureSet::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !sig_);
}

}  // namespace lrs
