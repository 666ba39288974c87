// SPDX-License-Identifier: Apache-2.0
// HTTP Range requests (RFC 9110 14) on bulk data: one byte range of a value
// whose size is known. Internal to cf::http; pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace cf::http {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t Length() const { return last - first + 1; }
};

struct RangeRequest {
  enum class Kind {
    kWhole,          // no header, one RFC 9110 lets a server ignore (several
                     // ranges, malformed), or a range covering everything
    kPart,           // `range`: answered 206
    kUnsatisfiable,  // no byte of it lies inside the value: 416
  };
  Kind kind = Kind::kWhole;
  ByteRange range;
};

// What a Range header asks for within a value of `size` bytes.
RangeRequest ParseByteRange(std::string_view header, uint64_t size);

}  // namespace cf::http
