#include "basis_reader.h"

#include <cerrno>
#include <unistd.h>

namespace lrs {
namespace {
// Upper bound of one pread; librsync asks for at most the free output space.
constexpr size_t kMaxRead = 1 << 20;
}  // namespace

BasisReader::~BasisReader() { Close(); }

void BasisReader::UseFile(int fd, int64_t size) {
  Close();
  fd_ = fd;
  size_ = size;
}

void BasisReader::UseMemory(const uint8_t* data, int64_t size) {
  Close();
  memory_ = data;
  size_ = size;
}

void BasisReader::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  memory_ = nullptr;
  std::vector<uint8_t>().swap(scratch_);
}

rs_result BasisReader::CopyCallback(void* opaque, rs_long_t pos, size_t* len, void** buf) {
  return static_cast<BasisReader*>(opaque)->Read(static_cast<int64_t>(pos), len, buf);
}

rs_result BasisReader::Read(int64_t pos, size_t* len, void** buf) {
  // librsync does not check COPY commands against the basis; rdiff would
  // silently emit short or garbage output. We refuse.
  if (pos < 0 || pos > size_ || static_cast<uint64_t>(*len) > static_cast<uint64_t>(size_ - pos) ||
      *len == 0) {
    failure_ = kCopyOutOfRange;
    return RS_CORRUPT;
  }
  if (memory_ != nullptr) {
    *buf = const_cast<uint8_t*>(memory_ + pos);
    return RS_DONE;
  }
  if (fd_ < 0) {
    failure_ = kCopyOutOfRange;  // no basis at all: every COPY is out of range
    return RS_CORRUPT;
  }
  size_t want = *len < kMaxRead ? *len : kMaxRead;
  if (scratch_.size() < want) scratch_.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd_, scratch_.data() + got, want - got, static_cast<off_t>(pos + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return RS_IO_ERROR;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == 0) {
    // Returning RS_DONE with *len == 0 would make librsync loop forever.
    failure_ = kBasisChanged;
    return RS_IO_ERROR;
  }
  *len = got;
  *buf = scratch_.data();
  return RS_DONE;
}

}  // namespace lrs
