#include "trace_capture.h"

#include <librsync.h>

#include <mutex>

namespace lrs {
namespace {

thread_local std::string* current_sink = nullptr;
constexpr size_t kMaxTraceBytes = 4096;

void OnTrace(rs_loglevel level, char const* msg) {
  (void)level;
  std::string* sink = current_sink;
  if (sink == nullptr || msg == nullptr) return;  // swallowed, never printed
  if (sink->size() >= kMaxTraceBytes) return;
  if (!sink->empty()) sink->append("; ");
  std::string line(msg);
  // librsync prefixes "librsync: ERROR: " and may end with a newline.
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  sink->append(line, 0, kMaxTraceBytes - sink->size());
}

}  // namespace

void InstallTraceHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    rs_trace_to(OnTrace);
    rs_trace_set_level(RS_LOG_WARNING);
  });
}

TraceScope::TraceScope(std::string* sink) : previous_(current_sink) {
  current_sink = sink;
}

TraceScope::~TraceScope() { current_sink = previous_; }

}  // namespace lrs
