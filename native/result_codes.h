// Stable error codes and our own messages for librsync's rs_result values.
// rs_strerror() is not used: its texts are vague ("unexplained problem")
// and not ours to promise as stable.
#pragma once

#include <librsync.h>

namespace lrs {

// Codes that librsync itself cannot produce; their numeric result is the
// rs_result category the CLI maps to an exit status.
enum ExtraCode {
  kNone = 0,
  kCopyOutOfRange,  // a COPY command reaches past the end of the basis
  kOutputLimit,     // patch output exceeded the caller's maxOutput
  kBasisChanged,    // the basis file shrank while it was being read
  kBlockTooLong,    // a signature header declares an absurd block length
};

// "RS_CORRUPT", "RS_COPY_OUT_OF_RANGE", ...
const char* CodeName(rs_result result, ExtraCode extra);
// A one-line explanation for users.
const char* CodeMessage(rs_result result, ExtraCode extra);

}  // namespace lrs
