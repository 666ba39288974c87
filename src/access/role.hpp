// SPDX-License-Identifier: Apache-2.0
// The roles an account can hold, and the permissions a route or DIMSE
// service requires. Roles are coarse on purpose: a hospital maps its staff
// onto a handful of well-understood roles, and the policy table
// (policy.cpp) is small enough to review in one screen.
#pragma once

#include <optional>
#include <string_view>

namespace cf::access {

enum class Role {
  kPlatformAdmin,  // runs the platform: every tenant, accounts, keys
  kHospitalAdmin,  // one hospital: its accounts, its data, its audit trail
  kTechnologist,   // stores and corrects images of its hospital
  kDoctor,         // reads images and reports of its hospital
  kKiosk,          // a self-service printer bound to one hospital
  kAuditor,        // reads the audit trail of its hospital, no images
  kApiClient,      // a machine (PACS gateway, RIS): what its token's scopes allow
};

std::string_view RoleName(Role role);  // "platform-admin", "hospital-admin", ...
std::optional<Role> ParseRole(std::string_view name);

// What a request needs. Every HTTP route and DIMSE service names one; the
// router refuses to register a route without one.
enum class Permission {
  kPublic,          // no credentials (health probe, login)
  kAuthenticated,   // any signed-in principal, on its own account (own tokens, break-glass)
  kOwnSession,      // any signed-in principal about itself (me, logout); also a session
                    // that must enrol a second factor first
  kSecondFactor,    // a person's browser session managing its own second factor (TOTP);
                    // never an API token or the bootstrap token, which have none
  kReadImages,      // search and retrieve patient data (QIDO, WADO, the JSON API)
  kStoreImages,     // add patient data (STOW-RS, C-STORE)
  kWriteReports,    // add a report version (a department's RIS, a signing doctor)
  kReadSystem,      // platform totals without patient data (/api/system)
  kManageAccounts,  // create accounts, issue tokens for others
  kReadAudit,       // the audit trail
  kShareFilms,      // give a patient the QR share of a film, list and revoke shares
  kOwnShares,       // a patient's own share session: its doctor shares, who opened its films
};

std::string_view PermissionName(Permission permission);  // "public", "read-images", ...
std::optional<Permission> ParsePermission(std::string_view name);

// Permissions on a tenant's resources (images, system totals, accounts,
// audit trail), as opposed to public routes and the caller's own account
// and session: the only ones that depend on the tenant, and the only ones an
// API token's scopes are made of.
bool IsTenantPermission(Permission permission);

}  // namespace cf::access
