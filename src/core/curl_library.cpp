// SPDX-License-Identifier: Apache-2.0
#include "core/curl_library.hpp"

#include <dlfcn.h>

#include <string>

namespace cf {
namespace {

// The soname libcurl4 and libcurl4-openssl-dev install (the header we
// compile against is that package's).
constexpr const char* kSoname = "libcurl.so.4";

template <class F>
bool Resolve(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  return out != nullptr;
}

Result<const CurlLibrary*> Open() {
  // Never closed: curl_global_cleanup is not safe while other threads may
  // still hold handles, and the process needs it until it exits.
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return Fail(ErrorCode::kUnsupported,
                std::string(kSoname) + " cannot be loaded (Debian package libcurl4)");
  }
  static CurlLibrary curl;
  const bool all = Resolve(handle, "curl_easy_init", curl.easy_init) &&
                   Resolve(handle, "curl_easy_setopt", curl.easy_setopt) &&
                   Resolve(handle, "curl_easy_perform", curl.easy_perform) &&
                   Resolve(handle, "curl_easy_getinfo", curl.easy_getinfo) &&
                   Resolve(handle, "curl_easy_cleanup", curl.easy_cleanup) &&
                   Resolve(handle, "curl_easy_strerror", curl.easy_strerror) &&
                   Resolve(handle, "curl_slist_append", curl.slist_append) &&
                   Resolve(handle, "curl_slist_free_all", curl.slist_free_all);
  auto global_init =
      reinterpret_cast<decltype(&::curl_global_init)>(dlsym(handle, "curl_global_init"));
  if (!all || global_init == nullptr) {
    return Fail(ErrorCode::kUnsupported, std::string(kSoname) + " lacks a function we call");
  }
  // Once, before any handle: curl_easy_init would otherwise do it on the
  // first handle, which is not thread-safe.
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return Fail(ErrorCode::kInternal, "libcurl: curl_global_init failed");
  }
  return &curl;
}

}  // namespace

Result<const CurlLibrary*> LoadCurl() {
  static const Result<const CurlLibrary*> loaded = Open();
  return loaded;
}

void CurlDeleter::operator()(CURL* c) const { (*LoadCurl())->easy_cleanup(c); }
void CurlDeleter::operator()(curl_slist* l) const { (*LoadCurl())->slist_free_all(l); }

}  // namespace cf
