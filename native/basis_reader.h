// Random-access source of basis bytes for a patch job's COPY commands.
// librsync calls the copy callback synchronously inside rs_job_iter on a
// thread-pool thread, so the basis must be readable natively: either a
// file descriptor read with pread() or the memory of a pinned Buffer.
// Every request is bounds-checked against the size fixed at creation.
#pragma once

#include <librsync.h>

#include <cstdint>
#include <vector>

#include "result_codes.h"

namespace lrs {

class BasisReader {
 public:
  BasisReader() = default;
  ~BasisReader();
  BasisReader(const BasisReader&) = delete;
  BasisReader& operator=(const BasisReader&) = delete;

  // Takes ownership of fd (the caller passes a dup). size from fstat.
  void UseFile(int fd, int64_t size);
  // The memory must stay valid until Close() (the Job pins its Buffer).
  void UseMemory(const uint8_t* data, int64_t size);
  void Close();

  int64_t size() const { return size_; }
  // Why the last Read failed, for the job's error.
  ExtraCode failure() const { return failure_; }

  // rs_copy_cb; opaque is the BasisReader.
  static rs_result CopyCallback(void* opaque, rs_long_t pos, size_t* len, void** buf);

 private:
  rs_result Read(int64_t pos, size_t* len, void** buf);

  int fd_ = -1;
  const uint8_t* memory_ = nullptr;
  int64_t size_ = 0;
  std::vector<uint8_t> scratch_;
  ExtraCode failure_ = kNone;
};

}  // namespace lrs
