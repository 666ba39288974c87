// SPDX-License-Identifier: Apache-2.0
#include "ledger/tsa_client.hpp"

#include "core/curl_library.hpp"

namespace cf::ledger {
namespace {

// An answer is a signed token with a certificate or two: a few KiB.
constexpr size_t kMaxAnswer = 1 << 20;

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<Bytes*>(user);
  const size_t n = size * count;
  if (out->size() + n > kMaxAnswer) return 0;  // curl fails the transfer
  const auto* begin = reinterpret_cast<const std::byte*>(data);
  out->insert(out->end(), begin, begin + n);
  return n;
}

}  // namespace

Result<Bytes> PostTimestampQuery(const TsaClientOptions& options, ByteView query) {
  auto library = LoadCurl();
  if (!library) {
    return std::unexpected(Error{library.error().code, "time-stamp: " + library.error().message});
  }
  const CurlLibrary& curl = **library;
  CurlHandle handle(curl.easy_init());
  if (!handle)
    return std::unexpected(Error{ErrorCode::kInternal, "time-stamp: curl_easy_init failed"});
  CurlList headers(curl.slist_append(nullptr, "Content-Type: application/timestamp-query"));
  Bytes answer;
  CURL* c = handle.get();
  curl.easy_setopt(c, CURLOPT_URL, options.url.c_str());
  curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(c, CURLOPT_POST, 1L);
  curl.easy_setopt(c, CURLOPT_POSTFIELDS, query.data());
  curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(query.size()));
  curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl.easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!options.https_ca_file.empty()) {
    curl.easy_setopt(c, CURLOPT_CAINFO, options.https_ca_file.c_str());
  }
  const CURLcode rc = curl.easy_perform(c);
  if (rc != CURLE_OK) {
    return std::unexpected(
        Error{rc == CURLE_OPERATION_TIMEDOUT ? ErrorCode::kTimeout : ErrorCode::kStorageUnavailable,
              std::string("time-stamp: the TSA cannot be reached: ") + curl.easy_strerror(rc)});
  }
  long status = 0;
  curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return std::unexpected(Error{ErrorCode::kStorageUnavailable,
                                 "time-stamp: the TSA answered HTTP " + std::to_string(status)});
  }
  return answer;
}

}  // namespace cf::ledger
