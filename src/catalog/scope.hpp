// SPDX-License-Identifier: Apache-2.0
// Whose data a read may see: one tenant, or every tenant (platform
// administrators, fsck). Every read of patient data names its scope, and
// there is no default: a scope is built by the policy from the caller (the
// HTTP router, the DIMSE calling AE title), never from the request itself.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace cf::catalog {

class Scope {
 public:
  // One tenant's data. A code no tenant has (even an empty one) sees nothing.
  static Scope Of(std::string tenant) { return Scope(std::move(tenant), false); }
  static Scope All() { return Scope(std::string(), true); }

  bool all() const { return all_; }
  // The tenant code; empty for All().
  const std::string& tenant() const { return tenant_; }
  bool Includes(std::string_view tenant) const { return all_ || tenant_ == tenant; }

 private:
  Scope(std::string tenant, bool all) : tenant_(std::move(tenant)), all_(all) {}
  std::string tenant_;
  bool all_ = false;
};

}  // namespace cf::catalog
