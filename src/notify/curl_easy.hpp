// SPDX-License-Identifier: Apache-2.0
// The libcurl handle the webhook and SMTP providers share: global init
// once, TLS verification always on, no redirects, no proxy from the
// environment, a deadline. Private to the notify part.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace cf::notify {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct CurlListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
// Header lines, SMTP recipients.
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

// A new handle with the common options set. `ca_file` empty = the system's
// trust store.
CurlHandle NewCurl(std::chrono::seconds timeout, const std::filesystem::path& ca_file);

// "libcurl: <what failed>" (curl_easy_strerror), which names no recipient.
std::string CurlError(CURLcode code);

}  // namespace cf::notify
