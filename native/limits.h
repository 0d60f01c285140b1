// Limits shared by argument validation and signature loading.
#pragma once

#include <cstdint>

namespace lrs {

// librsync itself accepts block lengths up to 2^31-1, but a delta job
// buffers about one block of input, so a hostile signature could make it
// allocate gigabytes. 16 MiB is the recommended length for a 256 TiB file.
constexpr uint32_t kMaxBlockLength = 1u << 24;

constexpr uint32_t kMagicRollsumMd4 = 0x72730136;
constexpr uint32_t kMagicRollsumBlake2 = 0x72730137;
constexpr uint32_t kMagicRabinKarpMd4 = 0x72730146;
constexpr uint32_t kMagicRabinKarpBlake2 = 0x72730147;

inline bool IsSignatureMagic(uint32_t magic) {
  return magic == kMagicRollsumMd4 || magic == kMagicRollsumBlake2 ||
         magic == kMagicRabinKarpMd4 || magic == kMagicRabinKarpBlake2;
}

// 16 for MD4 magics, 32 for BLAKE2 ones.
inline uint32_t MaxStrongLength(uint32_t magic) { return (magic & 0x0f) == 6 ? 16 : 32; }

}  // namespace lrs
