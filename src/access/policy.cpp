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
    case Permission::kShareFilms:
      return role == Role::kPlatformAdmin || role == Role::kHospitalAdmin ||
             role == Role::kDoctor || role == Role::kKiosk;
    case Permission::kOwnShares:
      return false;  // share sessions only (ShareDecision), never an account
  }
  return false;
}

namespace {

// A share session has no role: it reads its own studies (the scope the
// router builds from Principal::share_studies narrows every read) in its
// hospital, and the patient's own share manages its doctor shares. Nothing
// else, whatever the route: no store, no accounts, no audit, no tokens.
Decision ShareDecision(const Principal& share, Permission permission,
                       std::string_view resource_tenant) {
  if (permission == Permission::kOwnSession) return Decision::kAllow;
  if (share.tenant != resource_tenant) return Decision::kForbidden;
  if (permission == Permission::kReadImages) return Decision::kAllow;
  if (permission == Permission::kOwnShares && share.share_owner) return Decision::kAllow;
  return Decision::kForbidden;
}

}  // namespace

Decision Authorize(const Principal& principal, Permission permission,
                   std::string_view resource_tenant) {
  if (permission == Permission::kPublic) return Decision::kAllow;
  if (!principal.authenticated()) return Decision::kUnauthenticated;
  if (principal.kind == Principal::Kind::kShare) {
    return ShareDecision(principal, permission, resource_tenant);
  }
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
