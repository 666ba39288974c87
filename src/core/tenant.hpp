// SPDX-License-Identifier: Apache-2.0
// Tenants are hospitals: every stored object, account and audit event
// belongs to one, named by a short code. Codes appear in blob keys, key
// file names and configuration, hence the narrow alphabet; starting with a
// letter keeps them apart from the date folders of older blob keys.
#pragma once

#include <string_view>

namespace cf {

// What a fresh install files everything under, and what data stored before
// tenants existed belongs to.
inline constexpr std::string_view kDefaultTenant = "default";

// [a-z][a-z0-9-]{0,31}
constexpr bool IsValidTenantCode(std::string_view code) {
  if (code.empty() || code.size() > 32) return false;
  if (code.front() < 'a' || code.front() > 'z') return false;
  for (char c : code) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace cf
