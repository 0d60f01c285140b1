#include "sync_fs.h"

#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <string>

namespace lrs {
namespace {

class SyncFsWorker : public Napi::AsyncWorker {
 public:
  SyncFsWorker(Napi::Function callback, int fd) : Napi::AsyncWorker(callback), fd_(fd) {}

  void Execute() override {
#ifdef __linux__
    if (syncfs(fd_) != 0) errno_ = errno;
#else
    sync();
#endif
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (errno_ == 0) {
      Callback().Call({env.Null()});
      return;
    }
    // Shaped like Node's own fs errors: code, errno, syscall.
    std::string message = std::string(uv_err_name(-errno_)) + ": " + uv_strerror(-errno_) + ", syncfs";
    Napi::Error err = Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, uv_err_name(-errno_)));
    err.Set("errno", Napi::Number::New(env, -errno_));
    err.Set("syscall", Napi::String::New(env, "syncfs"));
    Callback().Call({err.Value()});
  }

 private:
  int fd_;
  int errno_ = 0;
};

}  // namespace

Napi::Value SyncFileSystem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::Error err = Napi::TypeError::New(env, "syncFileSystem(fd, callback)");
    err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
    throw err;
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto* worker = new SyncFsWorker(info[1].As<Napi::Function>(), fd);
  worker->Queue();
  return env.Undefined();
}

}  // namespace lrs
