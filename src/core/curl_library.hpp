// SPDX-License-Identifier: Apache-2.0
// libcurl, opened on first use rather than linked. Only a server that
// sends notifications or time-stamps its ledger ever speaks HTTP or SMTP
// out; linked, libcurl would map itself and the fifteen libraries it needs
// (GnuTLS, Kerberos, LDAP, libssh2, nghttp2, ...) into every process, about
// 3 MB of resident memory spent on nothing. Calls go through the table:
// curl.easy_setopt(handle, CURLOPT_URL, url) for curl_easy_setopt(...).
#pragma once

#include <curl/curl.h>

#include <memory>

#include "core/error.hpp"

namespace cf {

struct CurlLibrary {
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// libcurl.so.4, opened and globally initialised once (thread-safe); later
// calls give the same answer. kUnsupported naming the Debian package when
// it is not installed.
Result<const CurlLibrary*> LoadCurl();

// Handles from a loaded library (LoadCurl succeeded before they were made).
struct CurlDeleter {
  void operator()(CURL* c) const;
  void operator()(curl_slist* l) const;
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
// Header lines, SMTP recipients.
using CurlList = std::unique_ptr<curl_slist, CurlDeleter>;

}  // namespace cf
