// SPDX-License-Identifier: Apache-2.0
// Whose data a read may see: one tenant, or every tenant (platform
// administrators, fsck), optionally narrowed to a set of studies (a patient's
// share: access/share.hpp). Every read of patient data names its scope, and
// there is no default: a scope is built by the policy from the caller (the
// HTTP router, the DIMSE calling AE title), never from the request itself.
//
// The study restriction is enforced by the stores themselves (the catalog's
// every lookup and search, films, reports), not by routes, so that a route
// added later cannot forget it.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cf::catalog {

class Scope {
 public:
  // One tenant's data. A code no tenant has (even an empty one) sees nothing.
  static Scope Of(std::string tenant) { return Scope(std::move(tenant), false); }
  static Scope All() { return Scope(std::string(), true); }
  // Only these studies (Study Instance UIDs) of one tenant; an empty list
  // sees nothing.
  static Scope Studies(std::string tenant, std::vector<std::string> study_uids) {
    Scope scope(std::move(tenant), false);
    std::ranges::sort(study_uids);
    scope.studies_ = std::move(study_uids);
    return scope;
  }

  bool all() const { return all_; }
  // The tenant code; empty for All().
  const std::string& tenant() const { return tenant_; }
  bool Includes(std::string_view tenant) const { return all_ || tenant_ == tenant; }

  // Whether reads are limited to some studies (see studies()).
  bool restricted() const { return studies_.has_value(); }
  // The studies of a restricted scope, sorted; empty when not restricted.
  const std::vector<std::string>& studies() const {
    static const std::vector<std::string> kNone;
    return studies_ ? *studies_ : kNone;
  }
  // Whether a study may be seen (always, when not restricted). An object
  // whose study is unknown (empty UID) is outside any restricted scope.
  bool IncludesStudy(std::string_view study_uid) const {
    return !studies_ || std::ranges::binary_search(*studies_, study_uid, std::less<>());
  }
  // Both checks at once, for a row that names its tenant and study.
  bool Includes(std::string_view tenant, std::string_view study_uid) const {
    return Includes(tenant) && IncludesStudy(study_uid);
  }

 private:
  Scope(std::string tenant, bool all) : tenant_(std::move(tenant)), all_(all) {}
  std::string tenant_;
  bool all_ = false;
  std::optional<std::vector<std::string>> studies_;
};

}  // namespace cf::catalog
