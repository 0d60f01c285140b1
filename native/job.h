// One librsync job (signature, loadsig, delta or patch) driven step by step
// from JavaScript. Each step runs rs_job_iter on the libuv thread pool over
// one input slice and one output slice and reports back through a shared
// Float64Array, like Node's zlib binding: [consumed, produced, done].
// Only one step may be in flight; close() during a step is deferred until
// the step returns to the main thread.
#pragma once

#include <librsync.h>
#include <napi.h>

#include <cstdint>
#include <string>

#include "basis_reader.h"
#include "result_codes.h"
#include "signature_set.h"

namespace lrs {

enum class JobKind { kSignature = 0, kLoadSignature = 1, kDelta = 2, kPatch = 3 };

// Outcome of one step, filled on the pool thread.
struct StepResult {
  rs_result result = RS_DONE;
  size_t consumed = 0;
  size_t produced = 0;
};

class Job : public Napi::ObjectWrap<Job> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Job(const Napi::CallbackInfo& info);
  ~Job() override;

  // Pool thread: run rs_job_iter until input or output space is exhausted
  // or the job ends.
  StepResult RunStep(const uint8_t* in, size_t in_len, bool eof, uint8_t* out, size_t out_len);
  // Main thread, after a step: publish the outcome and free if closing.
  // Returns the JS error for a failed step, or an empty value.
  Napi::Value FinishStep(Napi::Env env, const StepResult& step);

 private:
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value TakeSignature(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void InitSignature(Napi::Env env, Napi::Object options);
  void InitLoadSignature(Napi::Env env);
  void InitDelta(Napi::Env env, Napi::Object options);
  void InitPatch(Napi::Env env, Napi::Object options);
  // Checks the 12-byte signature header before librsync sees it.
  rs_result InspectSignatureHeader(const uint8_t* in, size_t in_len);
  rs_result CompleteLoad();
  void Free();

  JobKind kind_ = JobKind::kSignature;
  rs_job_t* job_ = nullptr;
  bool busy_ = false;
  bool close_pending_ = false;
  bool done_ = false;
  bool failed_ = false;

  // Shared state array [consumed, produced, done].
  Napi::Reference<Napi::Float64Array> state_ref_;
  double* state_ = nullptr;

  uint64_t total_in_ = 0;
  uint64_t total_out_ = 0;
  int64_t max_output_ = -1;  // patch only; -1: unlimited

  // delta: the set being matched against; loadsig: the result once built.
  SignaturePtr signature_;
  // loadsig: the set librsync is filling (owned here until built).
  rs_signature_t* loading_ = nullptr;
  uint8_t header_[12] = {0};
  SignatureInfo loading_info_;

  // patch basis
  BasisReader basis_;
  Napi::Reference<Napi::Value> basis_buffer_ref_;

  rs_stats_t stats_{};
  ExtraCode extra_ = kNone;
  std::string trace_;
};

}  // namespace lrs
