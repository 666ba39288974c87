// SPDX-License-Identifier: Apache-2.0
// Sign-in, sessions, accounts, API tokens and the audit trail over HTTP:
// the JSON face of access::Access and audit::AuditLog.
#pragma once

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace cf::http {

// Adds /api/auth/*, /api/accounts, /api/tokens and /api/audit. `context`
// must have access (and, for /api/audit, audit) set and outlive the router.
void AddAuthRoutes(Router& router, const ApiContext& context);

}  // namespace cf::http
