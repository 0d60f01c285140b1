#include "xattrs.h"

#ifdef __linux__
#include <sys/xattr.h>
#endif
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lrs {
namespace {

// A path (never followed if it is a symlink) or an open descriptor.
struct Target {
  std::string path;
  int fd = -1;
};

constexpr size_t kPathMax = 4096;  // Linux's PATH_MAX, with its NUL

// ---- The system calls, retried when a signal interrupts them (FUSE, NFS).

#ifdef __linux__
ssize_t ListNames(const Target& t, char* buffer, size_t size) {
  ssize_t n;
  do n = t.fd >= 0 ? flistxattr(t.fd, buffer, size) : llistxattr(t.path.c_str(), buffer, size);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t GetValue(const Target& t, const std::string& name, char* buffer, size_t size) {
  ssize_t n;
  do n = t.fd >= 0 ? fgetxattr(t.fd, name.c_str(), buffer, size) : lgetxattr(t.path.c_str(), name.c_str(), buffer, size);
  while (n < 0 && errno == EINTR);
  return n;
}

int SetValue(const Target& t, const std::string& name, const std::vector<char>& value, int flags) {
  int r;
  do r = t.fd >= 0 ? fsetxattr(t.fd, name.c_str(), value.data(), value.size(), flags)
                   : lsetxattr(t.path.c_str(), name.c_str(), value.data(), value.size(), flags);
  while (r < 0 && errno == EINTR);
  return r;
}

int RemoveValue(const Target& t, const std::string& name) {
  int r;
  do r = t.fd >= 0 ? fremovexattr(t.fd, name.c_str()) : lremovexattr(t.path.c_str(), name.c_str());
  while (r < 0 && errno == EINTR);
  return r;
}
#else
// Other systems name and scope attributes differently: not supported.
ssize_t ListNames(const Target&, char*, size_t) { errno = ENOTSUP; return -1; }
ssize_t GetValue(const Target&, const std::string&, char*, size_t) { errno = ENOTSUP; return -1; }
int SetValue(const Target&, const std::string&, const std::vector<char>&, int) { errno = ENOTSUP; return -1; }
int RemoveValue(const Target&, const std::string&) { errno = ENOTSUP; return -1; }
#endif

// The NUL-terminated names of a list, as the kernel returns it.
std::vector<std::string> SplitNames(const char* list, size_t length) {
  std::vector<std::string> names;
  size_t start = 0;
  for (size_t i = 0; i < length; i++) {
    if (list[i] != '\0') continue;
    if (i > start) names.emplace_back(list + start, i - start);
    start = i + 1;
  }
  return names;
}

std::string ErrName(int err) {
  char buffer[64];
  uv_err_name_r(-err, buffer, sizeof buffer);  // the _r forms allocate nothing, even for unknown codes
  return buffer;
}

std::string ErrText(int err) {
  char buffer[256];
  uv_strerror_r(-err, buffer, sizeof buffer);
  return buffer;
}

// ---- Arguments, all checked before anything is queued.

Napi::Error ParamError(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "RS_PARAM_ERROR"));
  return err;
}

Target TargetArg(Napi::Env env, Napi::Value value) {
  Target target;
  if (value.IsString()) {
    target.path = value.As<Napi::String>().Utf8Value();
    if (target.path.empty() || target.path.find('\0') != std::string::npos || target.path.size() >= kPathMax) {
      throw ParamError(env, "path must be a non-empty string without NUL, shorter than 4096 bytes");
    }
    return target;
  }
  if (value.IsNumber()) {
    double fd = value.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(fd) || std::floor(fd) != fd || fd < 0 || fd > INT_MAX) throw ParamError(env, "fd must be an integer from 0 to 2^31-1");
    target.fd = static_cast<int>(fd);
    return target;
  }
  throw ParamError(env, "target must be a path or a file descriptor");
}

bool IsBytes(Napi::Value value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

std::string NameArg(Napi::Env env, Napi::Value value) {
  std::string name;
  if (value.IsString()) {
    name = value.As<Napi::String>().Utf8Value();
  } else if (IsBytes(value)) {
    Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
    name.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  } else {
    throw ParamError(env, "name must be a string or a Buffer");
  }
  if (name.empty() || name.size() > kXattrNameMax || name.find('\0') != std::string::npos) {
    throw ParamError(env, "name must be 1 to 255 bytes without NUL");
  }
  return name;
}

std::vector<char> ValueArg(Napi::Env env, Napi::Value value) {
  if (!IsBytes(value)) throw ParamError(env, "value must be a Buffer or Uint8Array");
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  if (bytes.ByteLength() > kXattrSizeMax) throw ParamError(env, "value must be at most 65536 bytes");
  // Copied: the pool thread never reads memory JavaScript could change or detach meanwhile.
  const char* data = reinterpret_cast<const char*>(bytes.Data());
  return std::vector<char>(data, data + bytes.ByteLength());
}

Napi::Function CallbackArg(const Napi::CallbackInfo& info, size_t index, const char* usage) {
  if (info.Length() != index + 1 || !info[index].IsFunction()) throw ParamError(info.Env(), usage);
  return info[index].As<Napi::Function>();
}

// ---- Workers: Execute() on the pool, the callback on the main thread.

class XattrWorker : public Napi::AsyncWorker {
 protected:
  XattrWorker(Napi::Function callback, Target target, std::string name, const char* by_path, const char* by_fd)
      : Napi::AsyncWorker(callback, "librsync:xattr"),
        target_(std::move(target)),
        name_(std::move(name)),
        syscall_(target_.fd >= 0 ? by_fd : by_path) {}

  // Records the failure of the system call (errno).
  void Failed() { errno_ = errno; }

  // What the callback gets on success.
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

  Target target_;
  std::string name_;

 private:
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (errno_ == 0) {
      Callback().Call({env.Null(), Result(env)});
      return;
    }
    // Shaped like Node's fs errors: "ENODATA: no data available, lgetxattr '/a/b' user.x".
    std::string code = ErrName(errno_);
    std::string where = target_.fd >= 0 ? "fd " + std::to_string(target_.fd) : "'" + target_.path + "'";
    std::string message = code + ": " + ErrText(errno_) + ", " + syscall_ + " " + where + (name_.empty() ? "" : " " + name_);
    Napi::Error err = Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, code));
    err.Set("errno", Napi::Number::New(env, -errno_));
    err.Set("syscall", Napi::String::New(env, syscall_));
    if (target_.fd >= 0) err.Set("fd", Napi::Number::New(env, target_.fd));
    else err.Set("path", Napi::String::New(env, target_.path));
    if (!name_.empty()) err.Set("attribute", Napi::String::New(env, name_));
    Callback().Call({err.Value()});
  }

  const char* syscall_;
  int errno_ = 0;
};

class ListWorker : public XattrWorker {
 public:
  ListWorker(Napi::Function callback, Target target) : XattrWorker(callback, std::move(target), "", "llistxattr", "flistxattr") {}

  void Execute() override {
    // One call with room for the longest list Linux returns: no size query that a change could outdate.
    std::unique_ptr<char[]> list(new char[kXattrListMax]);
    ssize_t n = ListNames(target_, list.get(), kXattrListMax);
    if (n < 0) return Failed();
    names_ = SplitNames(list.get(), static_cast<size_t>(n));
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array names = Napi::Array::New(env, names_.size());
    for (size_t i = 0; i < names_.size(); i++) names.Set(i, Napi::Buffer<char>::Copy(env, names_[i].data(), names_[i].size()));
    return names;
  }

 private:
  std::vector<std::string> names_;
};

class GetWorker : public XattrWorker {
 public:
  GetWorker(Napi::Function callback, Target target, std::string name)
      : XattrWorker(callback, std::move(target), std::move(name), "lgetxattr", "fgetxattr") {}

  void Execute() override {
    std::unique_ptr<char[]> value(new char[kXattrSizeMax]);
    ssize_t n = GetValue(target_, name_, value.get(), kXattrSizeMax);
    if (n < 0) return Failed();
    value_.assign(value.get(), static_cast<size_t>(n));
  }

  Napi::Value Result(Napi::Env env) override { return Napi::Buffer<char>::Copy(env, value_.data(), value_.size()); }

 private:
  std::string value_;
};

class SetWorker : public XattrWorker {
 public:
  SetWorker(Napi::Function callback, Target target, std::string name, std::vector<char> value, int flags)
      : XattrWorker(callback, std::move(target), std::move(name), "lsetxattr", "fsetxattr"), value_(std::move(value)), flags_(flags) {}

  void Execute() override {
    if (SetValue(target_, name_, value_, flags_) != 0) Failed();
  }

 private:
  std::vector<char> value_;
  int flags_;
};

class RemoveWorker : public XattrWorker {
 public:
  RemoveWorker(Napi::Function callback, Target target, std::string name)
      : XattrWorker(callback, std::move(target), std::move(name), "lremovexattr", "fremovexattr") {}

  void Execute() override {
    if (RemoveValue(target_, name_) != 0) Failed();
  }
};

class ReadAllWorker : public XattrWorker {
 public:
  ReadAllWorker(Napi::Function callback, Target target, double max_bytes)
      : XattrWorker(callback, std::move(target), "", "llistxattr", "flistxattr"), max_bytes_(max_bytes) {}

  void Execute() override {
    std::unique_ptr<char[]> list(new char[kXattrListMax]);
    ssize_t n = ListNames(target_, list.get(), kXattrListMax);
    if (n < 0) return Failed();
    std::vector<std::string> names = SplitNames(list.get(), static_cast<size_t>(n));
    std::sort(names.begin(), names.end());  // bytewise: char_traits<char> compares as unsigned char
    std::unique_ptr<char[]> value(new char[kXattrSizeMax]);
    double used = 0;
    bool full = false;
    for (std::string& name : names) {
      Item item;
      item.name = std::move(name);
      if (!full) {
        ssize_t got = GetValue(target_, item.name, value.get(), kXattrSizeMax);
        if (got < 0 && errno == ENODATA) continue;  // removed since the list was read
        if (got < 0) {
          item.error = errno;
        } else if (used + static_cast<double>(item.name.size() + static_cast<size_t>(got)) > max_bytes_) {
          full = true;  // keeps a prefix, in name order: the same attributes every time
        } else {
          used += static_cast<double>(item.name.size() + static_cast<size_t>(got));
          item.value.assign(value.get(), static_cast<size_t>(got));
          item.has_value = true;
        }
      }
      items_.push_back(std::move(item));
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, items_.size());
    for (size_t i = 0; i < items_.size(); i++) {
      const Item& item = items_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Napi::Buffer<char>::Copy(env, item.name.data(), item.name.size()));
      if (item.has_value) o.Set("value", Napi::Buffer<char>::Copy(env, item.value.data(), item.value.size()));
      else if (item.error != 0) o.Set("code", Napi::String::New(env, ErrName(item.error)));
      else o.Set("skipped", Napi::Boolean::New(env, true));
      out.Set(i, o);
    }
    return out;
  }

 private:
  struct Item {
    std::string name;
    std::string value;
    bool has_value = false;
    int error = 0;
  };
  double max_bytes_;
  std::vector<Item> items_;
};

}  // namespace

Napi::Value XattrList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = CallbackArg(info, 1, "xattrList(target, callback)");
  (new ListWorker(callback, TargetArg(env, info[0])))->Queue();
  return env.Undefined();
}

Napi::Value XattrGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = CallbackArg(info, 2, "xattrGet(target, name, callback)");
  Target target = TargetArg(env, info[0]);
  (new GetWorker(callback, std::move(target), NameArg(env, info[1])))->Queue();
  return env.Undefined();
}

Napi::Value XattrSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = CallbackArg(info, 4, "xattrSet(target, name, value, flags, callback)");
  Target target = TargetArg(env, info[0]);
  std::string name = NameArg(env, info[1]);
  std::vector<char> value = ValueArg(env, info[2]);
  if (!info[3].IsNumber()) throw ParamError(env, "flags must be 0, 1 (create only) or 2 (replace only)");
  double flags = info[3].As<Napi::Number>().DoubleValue();
  if (flags != 0 && flags != 1 && flags != 2) throw ParamError(env, "flags must be 0, 1 (create only) or 2 (replace only)");
  // 1 and 2 are XATTR_CREATE and XATTR_REPLACE on Linux.
  (new SetWorker(callback, std::move(target), std::move(name), std::move(value), static_cast<int>(flags)))->Queue();
  return env.Undefined();
}

Napi::Value XattrRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = CallbackArg(info, 2, "xattrRemove(target, name, callback)");
  Target target = TargetArg(env, info[0]);
  (new RemoveWorker(callback, std::move(target), NameArg(env, info[1])))->Queue();
  return env.Undefined();
}

Napi::Value XattrReadAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = CallbackArg(info, 2, "xattrReadAll(target, maxBytes, callback)");
  Target target = TargetArg(env, info[0]);
  if (!info[1].IsNumber()) throw ParamError(env, "maxBytes must be a number");
  double max_bytes = info[1].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(max_bytes) || std::floor(max_bytes) != max_bytes || max_bytes < 0 || max_bytes > 9007199254740991.0) {
    throw ParamError(env, "maxBytes must be a non-negative integer");
  }
  (new ReadAllWorker(callback, std::move(target), max_bytes))->Queue();
  return env.Undefined();
}

}  // namespace lrs
