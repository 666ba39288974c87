// SPDX-License-Identifier: Apache-2.0
// The libcurl handle the webhook and SMTP providers share: TLS verification
// always on, no redirects, no proxy from the environment, a deadline.
// Private to the notify part.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "core/curl_library.hpp"

namespace cf::notify {

struct CurlSession {
  const CurlLibrary* library = nullptr;
  CurlHandle handle;
};

// A new handle with the common options set, from libcurl loaded on first
// use (core/curl_library.hpp). `ca_file` empty = the system's trust store.
Result<CurlSession> NewCurl(std::chrono::seconds timeout, const std::filesystem::path& ca_file);

// "libcurl: <what failed>" (curl_easy_strerror), which names no recipient.
std::string CurlError(const CurlLibrary& curl, CURLcode code);

}  // namespace cf::notify
