// SPDX-License-Identifier: Apache-2.0
// Keys double as relative paths in the filesystem store, so they must never
// climb out of the store's root or name hidden/temporary files.
#include "store/blob_store.hpp"

#include "core/tenant.hpp"

namespace cf::store {

bool IsValidBlobKey(std::string_view key) {
  if (key.empty() || key.size() > 512) return false;
  size_t start = 0;
  while (start <= key.size()) {
    const size_t slash = key.find('/', start);
    const std::string_view seg =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.front() == '.') return false;
    for (char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string_view TenantOfBlobKey(std::string_view key) {
  const std::string_view first = key.substr(0, key.find('/'));
  if (first.size() < key.size() && IsValidTenantCode(first)) return first;
  return kDefaultTenant;
}

}  // namespace cf::store
