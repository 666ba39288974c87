// SPDX-License-Identifier: Apache-2.0
// Deny by default: a role gets a permission only by being listed here.
#include "access/policy.hpp"

#include <algorithm>

namespace cf::access {

bool RoleHas(Role role, Permission permission) {
  switch (permission) {
    case Permission::kPublic:
    case Permission::kAuthenticated:
    case Permission::kOwnSession:
    case Permission::kSecondFactor:
      return true;
    case Permission::kReadImages:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin ||
             role == Role::kTechnologist || role == Role::kDoctor || role == Role::kApiClient;
    case Permission::kStoreImages:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin ||
             role == Role::kTechnologist || role == Role::kApiClient;
    case Permission::kWriteReports:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin ||
             role == Role::kDoctor || role == Role::kApiClient;
    case Permission::kReadSystem:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin;
    case Permission::kManageAccounts:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin;
    case Permission::kReadAudit:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin || role == Role::kAuditor;
  }
  return false;
}

Decision Authorize(const Principal& principal, Permission permission,
                   std::string_view resource_tenant) {
  if (permission == Permission::kPublic) return Decision::kAllow;
  if (!principal.authenticated()) return Decision::kUnauthenticated;
  // Checked first: such a session was opened with a password alone, so it
  // must not reach anything (not even its own tokens, which would outlive
  // it) until the account has its second factor.
  if (principal.must_enrol_totp && permission != Permission::kOwnSession &&
      permission != Permission::kSecondFactor) {
    return Decision::kEnrolSecondFactor;
  }
  if (!RoleHas(principal.role, permission)) return Decision::kForbidden;
  // A second factor belongs to a person signing in with a browser; a
  // machine's token enrolling or removing one would be a takeover.
  if (permission == Permission::kSecondFactor && principal.kind != Principal::Kind::kSession) {
    return Decision::kForbidden;
  }
  if (!IsTenantPermission(permission)) return Decision::kAllow;
  if (principal.kind == Principal::Kind::kApiToken &&
      std::ranges::find(principal.scopes, permission) == principal.scopes.end()) {
    return Decision::kForbidden;
  }
  if (principal.role != Role::kPlatformAdmin && principal.tenant != resource_tenant) {
    // Break-glass opens reads of another hospital's images, nothing more.
    if (permission == Permission::kReadImages &&
        std::ranges::find(principal.break_glass_tenants, resource_tenant) !=
            principal.break_glass_tenants.end()) {
      return Decision::kAllowBreakGlass;
    }
    return Decision::kForbidden;
  }
  return Decision::kAllow;
}

bool MayManageAccount(const Principal& by, std::string_view tenant, Role role) {
  return Authorize(by, Permission::kManageAccounts, tenant) == Decision::kAllow &&
         (role != Role::kPlatformAdmin || by.role == Role::kPlatformAdmin);
}

}  // namespace cf::access
