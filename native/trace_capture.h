// librsync reports details of failures through a process-wide trace
// callback that, by default, prints to stderr. We install our own once per
// process and route messages to whichever job is running on the current
// thread, so they become part of that job's error instead of stray output.
#pragma once

#include <string>

namespace lrs {

// Idempotent; safe to call from every addon instance (worker threads).
void InstallTraceHandler();

// While alive, librsync messages emitted on this thread are appended to
// *sink (bounded in size).
class TraceScope {
 public:
  explicit TraceScope(std::string* sink);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  std::string* previous_;
};

}  // namespace lrs
