#include "result_codes.h"

namespace lrs {

const char* CodeName(rs_result result, ExtraCode extra) {
  switch (extra) {
    case kCopyOutOfRange: return "RS_COPY_OUT_OF_RANGE";
    case kOutputLimit: return "RS_OUTPUT_LIMIT";
    case kBasisChanged: return "RS_BASIS_CHANGED";
    case kBlockTooLong: return "RS_BLOCK_TOO_LONG";
    case kNone: break;
  }
  switch (result) {
    case RS_DONE: return "RS_DONE";
    case RS_BLOCKED: return "RS_BLOCKED";
    case RS_RUNNING: return "RS_RUNNING";
    case RS_TEST_SKIPPED: return "RS_TEST_SKIPPED";
    case RS_IO_ERROR: return "RS_IO_ERROR";
    case RS_SYNTAX_ERROR: return "RS_SYNTAX_ERROR";
    case RS_MEM_ERROR: return "RS_MEM_ERROR";
    case RS_INPUT_ENDED: return "RS_INPUT_ENDED";
    case RS_BAD_MAGIC: return "RS_BAD_MAGIC";
    case RS_UNIMPLEMENTED: return "RS_UNIMPLEMENTED";
    case RS_CORRUPT: return "RS_CORRUPT";
    case RS_INTERNAL_ERROR: return "RS_INTERNAL_ERROR";
    case RS_PARAM_ERROR: return "RS_PARAM_ERROR";
  }
  return "RS_INTERNAL_ERROR";
}

const char* CodeMessage(rs_result result, ExtraCode extra) {
  switch (extra) {
    case kCopyOutOfRange:
      return "delta copies bytes from beyond the end of the basis";
    case kOutputLimit:
      return "patch output exceeds the configured maxOutput limit";
    case kBasisChanged:
      return "basis file became shorter while it was being read";
    case kBlockTooLong:
      return "signature block length is larger than this library accepts";
    case kNone: break;
  }
  switch (result) {
    case RS_IO_ERROR: return "input/output error";
    case RS_SYNTAX_ERROR: return "invalid command syntax";
    case RS_MEM_ERROR: return "out of memory";
    case RS_INPUT_ENDED: return "input ended before the stream was complete (truncated?)";
    case RS_BAD_MAGIC: return "bad magic number: not the expected kind of librsync stream";
    case RS_UNIMPLEMENTED: return "feature not implemented by this librsync";
    case RS_CORRUPT: return "stream is corrupt";
    case RS_INTERNAL_ERROR: return "internal error in librsync";
    case RS_PARAM_ERROR: return "invalid parameter";
    default: return "unexpected librsync result";
  }
}

}  // namespace lrs
