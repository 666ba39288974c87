// SPDX-License-Identifier: Apache-2.0
// gzip (RFC 1952) for large JSON answers such as study metadata, which
// shrink five to ten times; zlib does the work. Internal to cf::http.
#pragma once

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::http {

// `data` as one gzip member. Level 1..9 (zlib's); low levels are several
// times faster and, on DICOM JSON, lose little ratio. Errors: kInternal
// (zlib failed, which means out of memory). Thread-safe; CPU only.
Result<Bytes> Gzip(ByteView data, int level = 1);

}  // namespace cf::http
