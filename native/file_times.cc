#include "file_times.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <uv.h>

#include <cerrno>
#include <string>

namespace lrs {
namespace {

class FileTimesWorker : public Napi::AsyncWorker {
 public:
  FileTimesWorker(Napi::Function callback, std::string path, struct timespec when, bool no_follow)
      : Napi::AsyncWorker(callback), path_(std::move(path)), when_(when), no_follow_(no_follow) {}

  void Execute() override {
    struct timespec times[2] = {when_, when_};
    if (utimensat(AT_FDCWD, path_.c_str(), times, no_follow_ ? AT_SYMLINK_NOFOLLOW : 0) != 0) errno_ = errno;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (errno_ == 0) {
      Callback().Call({env.Null()});
      return;
    }
    // Shaped like Node's own fs errors: code, errno, syscall, path.
    std::string message = std::string(uv_err_name(-errno_)) + ": " + uv_strerror(-errno_) + ", utimensat '" + path_ + "'";
    Napi::Error err = Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, uv_err_name(-errno_)));
    err.Set("errno", Napi::Number::New(env, -errno_));
    err.Set("syscall", Napi::String::New(env, "utimensat"));
    err.Set("path", Napi::String::New(env, path_));
    Callback().Call({err.Value()});
  }

 private:
  std::string path_;
  struct timespec when_;
  bool no_follow_;
  int errno_ = 0;
};

Napi::Error ParamError(Napi::Env env, const char* message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
  return err;
}

}  // namespace

Napi::Value SetFileTimes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsBigInt() || !info[3].IsFunction()) {
    throw ParamError(env, "setFileTimes(path, mtimeNs, noFollow, callback)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) throw ParamError(env, "path must be a non-empty string");
  bool lossless = false;
  int64_t ns = info[1].As<Napi::BigInt>().Int64Value(&lossless);
  if (!lossless) throw ParamError(env, "mtimeNs is out of range");
  struct timespec when;
  when.tv_sec = static_cast<time_t>(ns / 1000000000);
  when.tv_nsec = static_cast<long>(ns % 1000000000);
  if (when.tv_nsec < 0) {  // times before 1970: the nanoseconds part must be positive
    when.tv_sec -= 1;
    when.tv_nsec += 1000000000;
  }
  auto* worker = new FileTimesWorker(info[3].As<Napi::Function>(), std::move(path), when, info[2].ToBoolean());
  worker->Queue();
  return env.Undefined();
}

}  // namespace lrs
