// SPDX-License-Identifier: Apache-2.0
#include "http/gzip.hpp"

#include <zlib.h>

#include <limits>

namespace cf::http {

Result<Bytes> Gzip(ByteView data, int level) {
  // One deflate call into a buffer of deflateBound bytes; zlib counts in
  // 32 bits, far above any JSON answer we build.
  if (data.size() > std::numeric_limits<uInt>::max() / 2) {
    return Fail(ErrorCode::kTooLarge, "too large to compress in one piece");
  }
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Fail(ErrorCode::kInternal, "zlib deflateInit2 failed");
  }
  Bytes out(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&z, Z_FINISH);
  const uLong produced = z.total_out;
  deflateEnd(&z);
  if (status != Z_STREAM_END) return Fail(ErrorCode::kInternal, "zlib deflate failed");
  out.resize(produced);
  return out;
}

}  // namespace cf::http
