// A loaded signature with its hash table built, ready for delta jobs.
// The librsync set is owned by a shared_ptr: the JS SignatureSet and every
// delta job using it hold a reference, so closing the set while deltas run
// only frees it when the last of them is done. After rs_build_hash_table
// the set is read-only for matching and may be used from several pool
// threads at once.
#pragma once

#include <librsync.h>
#include <napi.h>

#include <cstdint>
#include <memory>

namespace lrs {

struct SignatureInfo {
  uint32_t magic = 0;
  uint32_t block_length = 0;
  uint32_t strong_length = 0;
  uint64_t block_count = 0;
};

class LoadedSignature {
 public:
  LoadedSignature(rs_signature_t* sig, SignatureInfo info) : sig_(sig), info_(info) {}
  ~LoadedSignature() { rs_free_sumset(sig_); }
  LoadedSignature(const LoadedSignature&) = delete;
  LoadedSignature& operator=(const LoadedSignature&) = delete;

  rs_signature_t* get() const { return sig_; }
  const SignatureInfo& info() const { return info_; }

 private:
  rs_signature_t* sig_;
  SignatureInfo info_;
};

using SignaturePtr = std::shared_ptr<LoadedSignature>;

class SignatureSet : public Napi::ObjectWrap<SignatureSet> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps an already loaded set in a new JS object.
  static Napi::Object Create(Napi::Env env, SignaturePtr sig);
  // The set behind a JS value; throws unless it is an open SignatureSet.
  static SignaturePtr From(Napi::Env env, Napi::Value value);

  explicit SignatureSet(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value Share(const Napi::CallbackInfo& info);

  SignaturePtr sig_;
};

}  // namespace lrs
