// SPDX-License-Identifier: Apache-2.0
#include "notify/curl_easy.hpp"

#include <algorithm>

namespace cf::notify {

Result<CurlSession> NewCurl(std::chrono::seconds timeout, const std::filesystem::path& ca_file) {
  auto library = LoadCurl();
  if (!library) return std::unexpected(library.error());
  const CurlLibrary& curl = **library;
  CurlSession session{*library, CurlHandle(curl.easy_init())};
  CURL* c = session.handle.get();
  if (c == nullptr) return Fail(ErrorCode::kInternal, "libcurl: cannot create a handle");
  curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count() * 1000));
  curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(timeout.count(), 10) * 1000));
  curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl.easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  // A gateway's redirect would carry patient data to an address nobody
  // configured; an http_proxy from the environment likewise.
  curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl.easy_setopt(c, CURLOPT_PROXY, "");
  return session;
}

std::string CurlError(const CurlLibrary& curl, CURLcode code) {
  return std::string("libcurl: ") + curl.easy_strerror(code);
}

}  // namespace cf::notify
