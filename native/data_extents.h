// The data extents of an open file, found with lseek(SEEK_DATA/SEEK_HOLE)
// in one work item on the libuv thread pool: what a backup stores of a
// sparse file, the rest being holes that read as zeros. Arguments are
// checked on the main thread; the pool thread touches no JavaScript value.
// Failures are shaped like Node's fs errors (EBADF, ESPIPE, ...).
// Where SEEK_DATA is unknown the whole range is one extent.
#pragma once

#include <napi.h>

namespace lrs {

// Most extents one call may return, whatever it is asked for.
constexpr double kDataExtentsMax = 1 << 20;

// dataExtents(fd, size, maxExtents, callback(err, extents: Float64Array))
// lists the data of bytes [0, size) as [offset, length, offset, length, ...],
// sorted, non-overlapping, non-empty. Past maxExtents - 1 extents, the last
// one runs from the next data to `size`: the rest of the file counts as data.
Napi::Value DataExtents(const Napi::CallbackInfo& info);

}  // namespace lrs
