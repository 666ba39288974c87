// SPDX-License-Identifier: Apache-2.0
// The one authorization policy of cloudfilm: may this principal use this
// permission on data of this tenant? Every HTTP route and DIMSE service
// asks here and nowhere else, so that the whole policy is one table
// (policy.cpp) to review and to test as a matrix.
#pragma once

#include <string_view>

#include "access/principal.hpp"
#include "access/role.hpp"

namespace cf::access {

enum class Decision {
  kAllow,
  kAllowBreakGlass,  // allowed only through a break-glass grant: audit flagged
  kUnauthenticated,  // anonymous asking for more than kPublic: HTTP 401
  kForbidden,        // known principal, not allowed: HTTP 403
  // A session that must enrol a second factor before anything else
  // (Principal::must_enrol_totp) asks for more than its own session and
  // the enrolment: HTTP 403, saying what to do.
  kEnrolSecondFactor,
};

// Whether a role may use a permission at all (within its own tenant).
bool RoleHas(Role role, Permission permission);

// The decision for `principal` using `permission` on data of
// `resource_tenant`. Platform admins cross tenants; every other role stays
// inside its own. An API token is further limited to its scopes. A session
// that still owes a second factor gets only kOwnSession and kSecondFactor.
Decision Authorize(const Principal& principal, Permission permission,
                   std::string_view resource_tenant = kDefaultTenant);

// Whether `by` may administer an account (create it, issue or revoke its
// tokens) of `tenant` with `role`: manage-accounts on that tenant, and only a
// platform admin administers platform admins.
bool MayManageAccount(const Principal& by, std::string_view tenant, Role role);

}  // namespace cf::access
