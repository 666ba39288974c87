// SPDX-License-Identifier: Apache-2.0
// The RFC 3161 HTTP transport: a DER query POSTed as
// application/timestamp-query, a DER answer back (libcurl).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::ledger {

struct TsaClientOptions {
  std::string url;  // http:// or https://
  std::chrono::milliseconds timeout{10'000};
  // CAs for an https:// TSA; empty: the system's.
  std::filesystem::path https_ca_file = {};
};

// The TSA's answer body. kTimeout, or kStorageUnavailable (the TSA cannot
// be reached or answered with another status than 200) naming why.
Result<Bytes> PostTimestampQuery(const TsaClientOptions& options, ByteView query);

}  // namespace cf::ledger
