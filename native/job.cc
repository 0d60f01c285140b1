#include "job.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "limits.h"
#include "trace_capture.h"

namespace lrs {
namespace {

Napi::Error ParamError(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
  err.Set("result", Napi::Number::New(env, RS_PARAM_ERROR));
  return err;
}

// An integer in [min, max] or throws a parameter error naming `what`.
double IntegerArg(Napi::Env env, Napi::Value value, const char* what, double min, double max) {
  if (!value.IsNumber()) throw ParamError(env, std::string(what) + " must be a number");
  double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < min || v > max) {
    throw ParamError(env, std::string(what) + " is out of range");
  }
  return v;
}

struct ByteRange {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// input/output slices arrive as (typed array, offset, length); all are
// checked here so librsync never sees a pointer outside the array.
ByteRange SliceArg(Napi::Env env, Napi::Value array, Napi::Value off, Napi::Value len,
                   const char* what, bool allow_null) {
  ByteRange range;
  if (allow_null && (array.IsNull() || array.IsUndefined())) return range;
  if (!array.IsTypedArray() ||
      array.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw ParamError(env, std::string(what) + " must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array bytes = array.As<Napi::Uint8Array>();
  double length = static_cast<double>(bytes.ByteLength());
  double o = IntegerArg(env, off, what, 0, length);
  double n = IntegerArg(env, len, what, 0, length - o);
  range.data = bytes.Data() + static_cast<size_t>(o);
  range.length = static_cast<size_t>(n);
  return range;
}

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Job* job, Napi::Object job_object, Napi::Function callback, Napi::Value input,
             ByteRange in, bool eof, Napi::Value output, ByteRange out)
      : Napi::AsyncWorker(job_object, callback, "librsync:step"),
        job_(job),
        in_(in),
        out_(out),
        eof_(eof) {
    // Pin both arrays while the pool thread uses their memory.
    if (input.IsObject()) input_ref_ = Napi::Persistent(input.As<Napi::Object>());
    if (output.IsObject()) output_ref_ = Napi::Persistent(output.As<Napi::Object>());
  }

  void Execute() override { step_ = job_->RunStep(in_.data, in_.length, eof_, out_.data, out_.length); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Value err = job_->FinishStep(env, step_);
    // In a worker thread being terminated this call cannot run; the build
    // defines NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS so that is not fatal.
    Callback().Call(Receiver().Value(), {err.IsEmpty() ? env.Null() : err});
  }

 private:
  Job* job_;
  ByteRange in_;
  ByteRange out_;
  bool eof_;
  StepResult step_;
  Napi::ObjectReference input_ref_;
  Napi::ObjectReference output_ref_;
};

}  // namespace

Napi::Function Job::Define(Napi::Env env) {
  return DefineClass(env, "NativeJob",
                     {
                         InstanceMethod<&Job::Step>("step"),
                         InstanceMethod<&Job::Stats>("stats"),
                         InstanceMethod<&Job::TakeSignature>("takeSignature"),
                         InstanceMethod<&Job::Close>("close"),
                     });
}

// new NativeJob(kind, state: Float64Array(3), options)
Job::Job(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Job>(info) {
  Napi::Env env = info.Env();
  kind_ = static_cast<JobKind>(IntegerArg(env, info[0], "job kind", 0, 3));
  if (!info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 3) {
    throw ParamError(env, "job state must be a Float64Array of length 3");
  }
  state_ref_ = Napi::Persistent(info[1].As<Napi::Float64Array>());
  state_ = info[1].As<Napi::Float64Array>().Data();
  Napi::Object options = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);

  TraceScope trace(&trace_);
  switch (kind_) {
    case JobKind::kSignature: InitSignature(env, options); break;
    case JobKind::kLoadSignature: InitLoadSignature(env); break;
    case JobKind::kDelta: InitDelta(env, options); break;
    case JobKind::kPatch: InitPatch(env, options); break;
  }
  if (job_ == nullptr) {
    Free();
    Napi::Error err = Napi::Error::New(env, "librsync could not start the job" +
                                                (trace_.empty() ? std::string() : ": " + trace_));
    err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
    err.Set("result", Napi::Number::New(env, RS_PARAM_ERROR));
    throw err;
  }
}

Job::~Job() { Free(); }

void Job::InitSignature(Napi::Env env, Napi::Object options) {
  uint32_t magic = static_cast<uint32_t>(IntegerArg(env, options.Get("magic"), "magic", 0, 0xffffffff));
  if (!IsSignatureMagic(magic)) throw ParamError(env, "magic is not a signature magic number");
  uint32_t block_len = static_cast<uint32_t>(
      IntegerArg(env, options.Get("blockLength"), "blockLength", 1, kMaxBlockLength));
  uint32_t strong_len = static_cast<uint32_t>(
      IntegerArg(env, options.Get("strongLength"), "strongLength", 1, MaxStrongLength(magic)));
  job_ = rs_sig_begin(block_len, strong_len, static_cast<rs_magic_number>(magic));
}

void Job::InitLoadSignature(Napi::Env) { job_ = rs_loadsig_begin(&loading_); }

void Job::InitDelta(Napi::Env env, Napi::Object options) {
  signature_ = SignatureSet::From(env, options.Get("signature"));
  job_ = rs_delta_begin(signature_->get());
}

void Job::InitPatch(Napi::Env env, Napi::Object options) {
  Napi::Value max_output = options.Get("maxOutput");
  if (!max_output.IsUndefined() && !max_output.IsNull()) {
    max_output_ = static_cast<int64_t>(IntegerArg(env, max_output, "maxOutput", -1, 9007199254740991.0));
  }
  Napi::Value fd = options.Get("basisFd");
  Napi::Value buffer = options.Get("basisBuffer");
  if (!fd.IsUndefined() && !fd.IsNull()) {
    int source = static_cast<int>(IntegerArg(env, fd, "basisFd", 0, 0x7fffffff));
    // Our own descriptor: the caller may close theirs at any time.
    int own = fcntl(source, F_DUPFD_CLOEXEC, 0);
    if (own < 0) throw ParamError(env, std::string("basisFd is not usable: ") + strerror(errno));
    struct stat st;
    if (fstat(own, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
      ::close(own);
      throw ParamError(env, "basis must be a regular file or a block device");
    }
    int64_t size = st.st_size;
    if (S_ISBLK(st.st_mode)) size = static_cast<int64_t>(lseek(own, 0, SEEK_END));
    basis_.UseFile(own, size);
  } else if (buffer.IsTypedArray() &&
             buffer.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array bytes = buffer.As<Napi::Uint8Array>();
    basis_buffer_ref_ = Napi::Persistent(buffer);
    basis_.UseMemory(bytes.Data(), static_cast<int64_t>(bytes.ByteLength()));
  } else {
    throw ParamError(env, "patch needs a basis: basisFd or basisBuffer");
  }
  job_ = rs_patch_begin(&BasisReader::CopyCallback, &basis_);
}

// step(eof, input, inOff, inLen, output, outOff, outLen, callback)
Napi::Value Job::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (job_ == nullptr || close_pending_) throw ParamError(env, "job is closed");
  if (busy_) throw ParamError(env, "a step is already in flight for this job");
  if (done_ || failed_) throw ParamError(env, "job has already finished");
  bool eof = info[0].ToBoolean();
  ByteRange in = SliceArg(env, info[1], info[2], info[3], "input", true);
  ByteRange out = SliceArg(env, info[4], info[5], info[6], "output", kind_ == JobKind::kLoadSignature);
  if (kind_ != JobKind::kLoadSignature && out.length == 0) throw ParamError(env, "output space must not be empty");
  if (!info[7].IsFunction()) throw ParamError(env, "callback must be a function");
  busy_ = true;
  auto* worker = new StepWorker(this, Value(), info[7].As<Napi::Function>(), info[1], in, eof, info[4], out);
  worker->Queue();
  return env.Undefined();
}

StepResult Job::RunStep(const uint8_t* in, size_t in_len, bool eof, uint8_t* out, size_t out_len) {
  StepResult step;
  TraceScope trace(&trace_);
  if (kind_ == JobKind::kLoadSignature && total_in_ < sizeof(header_)) {
    step.result = InspectSignatureHeader(in, in_len);
    if (step.result != RS_DONE) return step;
  }
  size_t room = out_len;
  if (max_output_ >= 0) {
    // Allow one byte past the limit so that reaching it is detectable.
    uint64_t left = static_cast<uint64_t>(max_output_) - total_out_ + 1;
    if (room > left) room = static_cast<size_t>(left);
  }
  rs_buffers_t buffers;
  std::memset(&buffers, 0, sizeof buffers);
  buffers.next_in = reinterpret_cast<char*>(const_cast<uint8_t*>(in));
  buffers.avail_in = in_len;
  buffers.eof_in = eof ? 1 : 0;
  buffers.next_out = reinterpret_cast<char*>(out);
  buffers.avail_out = room;

  rs_result result;
  for (;;) {
    size_t in_before = buffers.avail_in;
    size_t out_before = buffers.avail_out;
    result = rs_job_iter(job_, &buffers);
    if (result != RS_BLOCKED) break;
    bool progressed = buffers.avail_in != in_before || buffers.avail_out != out_before;
    if (kind_ != JobKind::kLoadSignature && buffers.avail_out == 0) break;  // drain first
    if (buffers.avail_in == 0 && !eof) break;                               // want input
    if (!progressed) {
      // At end of input with room to write, a job that moves nothing would
      // be polled forever.
      if (eof) result = RS_INTERNAL_ERROR;
      break;
    }
  }
  step.consumed = in_len - buffers.avail_in;
  step.produced = room - buffers.avail_out;
  total_in_ += step.consumed;
  total_out_ += step.produced;
  if (basis_.failure() != kNone) extra_ = basis_.failure();
  if (max_output_ >= 0 && total_out_ > static_cast<uint64_t>(max_output_)) {
    extra_ = kOutputLimit;
    result = RS_PARAM_ERROR;
  }
  if (result == RS_DONE && kind_ == JobKind::kLoadSignature) result = CompleteLoad();
  step.result = result;
  return step;
}

rs_result Job::InspectSignatureHeader(const uint8_t* in, size_t in_len) {
  size_t have = static_cast<size_t>(total_in_);
  size_t take = sizeof(header_) - have;
  if (take > in_len) take = in_len;
  if (take > 0) std::memcpy(header_ + have, in, take);
  if (have + take < sizeof(header_)) return RS_DONE;
  // Magic 0 is librsync's default, RabinKarp with BLAKE2 (rs_sig_args):
  // librsync loads it as that, so it is checked and reported as that.
  uint32_t magic = ReadBe32(header_);
  if (magic == 0) magic = kMagicRabinKarpBlake2;
  uint32_t block_len = ReadBe32(header_ + 4);
  uint32_t strong_len = ReadBe32(header_ + 8);
  // librsync checks block length, strong length, magic, then the strong
  // length against the magic; anything it would reject is left for it to
  // report, so codes match rdiff. Only then do we refuse absurd blocks.
  bool librsync_accepts = block_len >= 1 && block_len <= 0x7fffffff && IsSignatureMagic(magic) &&
                          strong_len <= MaxStrongLength(magic);
  if (librsync_accepts && block_len > kMaxBlockLength) {
    extra_ = kBlockTooLong;
    return RS_CORRUPT;
  }
  loading_info_.magic = magic;
  loading_info_.block_length = block_len;
  loading_info_.strong_length = strong_len == 0 ? MaxStrongLength(magic) : strong_len;
  return RS_DONE;
}

rs_result Job::CompleteLoad() {
  uint64_t entry = 4 + static_cast<uint64_t>(loading_info_.strong_length);
  loading_info_.block_count = total_in_ >= 12 ? (total_in_ - 12) / entry : 0;
  // librsync asserts (aborts) if a delta starts without this.
  rs_result built = rs_build_hash_table(loading_);
  if (built != RS_DONE) return built;
  signature_ = std::make_shared<LoadedSignature>(loading_, loading_info_);
  loading_ = nullptr;
  return RS_DONE;
}

Napi::Value Job::FinishStep(Napi::Env env, const StepResult& step) {
  busy_ = false;
  state_[0] = static_cast<double>(step.consumed);
  state_[1] = static_cast<double>(step.produced);
  state_[2] = step.result == RS_DONE ? 1 : 0;
  stats_ = *rs_job_statistics(job_);
  Napi::Value error;
  if (step.result == RS_DONE) {
    done_ = true;
  } else if (step.result != RS_BLOCKED) {
    failed_ = true;
    Napi::Error err = Napi::Error::New(env, CodeMessage(step.result, extra_));
    err.Set("code", Napi::String::New(env, CodeName(step.result, extra_)));
    err.Set("result", Napi::Number::New(env, step.result));
    if (!trace_.empty()) err.Set("detail", Napi::String::New(env, trace_));
    error = err.Value();
  }
  if (close_pending_) Free();
  return error;
}

Napi::Value Job::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("inBytes", Napi::Number::New(env, static_cast<double>(total_in_)));
  out.Set("outBytes", Napi::Number::New(env, static_cast<double>(total_out_)));
  const rs_stats_t* s = job_ != nullptr ? rs_job_statistics(job_) : &stats_;
  out.Set("literalCommands", Napi::Number::New(env, static_cast<double>(s->lit_cmds)));
  out.Set("literalBytes", Napi::Number::New(env, static_cast<double>(s->lit_bytes)));
  out.Set("literalCommandBytes", Napi::Number::New(env, static_cast<double>(s->lit_cmdbytes)));
  out.Set("copyCommands", Napi::Number::New(env, static_cast<double>(s->copy_cmds)));
  out.Set("copyBytes", Napi::Number::New(env, static_cast<double>(s->copy_bytes)));
  out.Set("copyCommandBytes", Napi::Number::New(env, static_cast<double>(s->copy_cmdbytes)));
  out.Set("falseMatches", Napi::Number::New(env, static_cast<double>(s->false_matches)));
  out.Set("signatureBlocks", Napi::Number::New(env, static_cast<double>(s->sig_blocks)));
  out.Set("blockLength", Napi::Number::New(env, static_cast<double>(s->block_len)));
  return out;
}

Napi::Value Job::TakeSignature(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (kind_ != JobKind::kLoadSignature || !done_ || !signature_) {
    throw ParamError(env, "no loaded signature to take");
  }
  return SignatureSet::Create(env, std::move(signature_));
}

Napi::Value Job::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    close_pending_ = true;  // freed by FinishStep once the pool thread is done
  } else {
    Free();
  }
  return info.Env().Undefined();
}

void Job::Free() {
  TraceScope trace(&trace_);
  if (job_ != nullptr) {
    stats_ = *rs_job_statistics(job_);  // kept for stats() after close
    rs_job_free(job_);
  }
  job_ = nullptr;
  if (loading_ != nullptr) rs_free_sumset(loading_);  // loadsig owns it until built
  loading_ = nullptr;
  basis_.Close();
  basis_buffer_ref_.Reset();
  if (kind_ != JobKind::kLoadSignature || !done_) signature_.reset();
}

}  // namespace lrs
