#include "data_extents.h"

#include <sys/types.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <string>
#include <vector>

namespace lrs {
namespace {

Napi::Error ParamError(Napi::Env env, const char* message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
  return err;
}

// A whole number in [min, max], or a parameter error naming `what`.
double WholeArg(Napi::Env env, Napi::Value value, double min, double max, const char* message) {
  if (!value.IsNumber()) throw ParamError(env, message);
  double n = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(n) || std::floor(n) != n || n < min || n > max) throw ParamError(env, message);
  return n;
}

class DataExtentsWorker : public Napi::AsyncWorker {
 public:
  DataExtentsWorker(Napi::Function callback, int fd, off_t size, size_t max_extents)
      : Napi::AsyncWorker(callback, "librsync:dataExtents"), fd_(fd), size_(size), max_extents_(max_extents) {}

  void Execute() override {
#ifdef SEEK_DATA
    off_t at = 0;
    while (at < size_) {
      off_t data = Seek(at, SEEK_DATA);
      if (data < 0 && errno == ENXIO) return;  // no data from `at` on (or the file shrank): the rest is a hole
      if (data < 0) return Failed("lseek");
      if (data >= size_) return;
      if (extents_.size() / 2 + 1 == max_extents_) return Add(data, size_);  // the cap: the rest counts as data
      off_t hole = Seek(data, SEEK_HOLE);
      if (hole < 0 && errno == ENXIO) return;  // shrank since SEEK_DATA: the read that follows sees it
      if (hole < 0) return Failed("lseek");
      if (hole <= data) return Add(data, size_);  // never a loop on a file system that answers nonsense
      if (hole > size_) hole = size_;
      Add(data, hole);
      at = hole;
    }
#else
    // No SEEK_DATA here, yet the descriptor must still be one that can seek.
    if (lseek(fd_, 0, SEEK_CUR) < 0) return Failed("lseek");
    if (size_ > 0) Add(0, size_);
#endif
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (errno_ == 0) {
      Napi::Float64Array out = Napi::Float64Array::New(env, extents_.size());
      for (size_t i = 0; i < extents_.size(); i++) out[i] = extents_[i];
      Callback().Call({env.Null(), out});
      return;
    }
    // Shaped like Node's fs errors: "EBADF: bad file descriptor, lseek fd 99".
    char name[64];
    char text[256];
    uv_err_name_r(-errno_, name, sizeof name);
    uv_strerror_r(-errno_, text, sizeof text);
    Napi::Error err = Napi::Error::New(env, std::string(name) + ": " + text + ", " + syscall_ + " fd " + std::to_string(fd_));
    err.Set("code", Napi::String::New(env, name));
    err.Set("errno", Napi::Number::New(env, -errno_));
    err.Set("syscall", Napi::String::New(env, syscall_));
    err.Set("fd", Napi::Number::New(env, fd_));
    Callback().Call({err.Value()});
  }

 private:
  off_t Seek(off_t offset, int whence) {
    off_t r;
    do r = lseek(fd_, offset, whence);
    while (r < 0 && errno == EINTR);
    return r;
  }

  void Add(off_t start, off_t end) {
    extents_.push_back(static_cast<double>(start));
    extents_.push_back(static_cast<double>(end - start));
  }

  void Failed(const char* syscall) {
    errno_ = errno;
    syscall_ = syscall;
    extents_.clear();
  }

  int fd_;
  off_t size_;
  size_t max_extents_;
  std::vector<double> extents_;
  int errno_ = 0;
  const char* syscall_ = "";
};

}  // namespace

Napi::Value DataExtents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[3].IsFunction()) throw ParamError(env, "dataExtents(fd, size, maxExtents, callback)");
  int fd = static_cast<int>(WholeArg(env, info[0], 0, INT_MAX, "fd must be an integer from 0 to 2^31-1"));
  // 2^53 - 1: every offset is exact in a double, and fits off_t (64 bits on every platform Node supports).
  double size = WholeArg(env, info[1], 0, 9007199254740991.0, "size must be an integer from 0 to 2^53-1");
  if (sizeof(off_t) < 8 && size > static_cast<double>(LONG_MAX)) throw ParamError(env, "size is beyond this platform's file offsets");
  double max = WholeArg(env, info[2], 1, kDataExtentsMax, "maxExtents must be an integer from 1 to 2^20");
  auto* worker = new DataExtentsWorker(info[3].As<Napi::Function>(), fd, static_cast<off_t>(size), static_cast<size_t>(max));
  worker->Queue();
  return env.Undefined();
}

}  // namespace lrs
