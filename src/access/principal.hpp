// SPDX-License-Identifier: Apache-2.0
// Who is asking: the result of authentication, carried with a request down
// to the policy check and into the audit event. Holds no secret: tokens
// are named by their public id only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "access/role.hpp"
#include "core/tenant.hpp"

namespace cf::access {

using cf::kDefaultTenant;

struct Principal {
  enum class Kind {
    kAnonymous,  // no credentials
    kBootstrap,  // the bootstrap token of the environment (platform admin)
    kSession,    // a browser session cookie
    kApiToken,   // an API token (Bearer)
    kOperator,   // the local CLI, which has the data folder (and its keys) anyway
    kShare,      // a patient's share session (access/share.hpp): reads its studies only
  };
  Kind kind = Kind::kAnonymous;
  int64_t account_id = 0;
  std::string login;  // the account's login name; not patient data
  Role role = Role::kDoctor;
  std::string tenant = std::string(kDefaultTenant);
  // The public id of the API token or session (audit, revocation).
  std::string token_id;
  // An API token's scopes: it may do no more than these, nor more than its
  // account's role. Empty for sessions and the bootstrap token.
  std::vector<Permission> scopes;
  // Tenants this principal may read in an emergency (break-glass grants
  // still running); every access through one is flagged in the audit.
  std::vector<std::string> break_glass_tenants;
  // The account has an active TOTP second factor (access/totp_factor.hpp).
  bool totp_active = false;
  // A session of an admin account without an active TOTP while
  // security.require_totp_for_admins is on: it may see itself, sign out and
  // enrol (kOwnSession, kSecondFactor), nothing else. Never set on API
  // tokens, which are machines' credentials.
  bool must_enrol_totp = false;
  // kShare only: the studies the share grants (its catalog::Scope), and
  // whether it is the patient's own share (which may make doctor shares and
  // see who opened the films) rather than a doctor share made from it. The
  // share's public id is token_id; `login` is "share:<id>".
  std::vector<std::string> share_studies;
  bool share_owner = false;

  bool authenticated() const { return kind != Kind::kAnonymous; }
  // The audit trail's "who": the login, "bootstrap" or "anonymous".
  std::string Actor() const {
    if (kind == Kind::kAnonymous) return "anonymous";
    if (kind == Kind::kBootstrap) return "bootstrap";
    if (kind == Kind::kOperator) return "operator";
    return login;
  }
  // The audit trail's role: the account's, or what a share session is.
  std::string_view RoleText() const {
    if (kind == Kind::kShare) return share_owner ? "patient" : "share-guest";
    return authenticated() ? RoleName(role) : std::string_view();
  }
};

}  // namespace cf::access
