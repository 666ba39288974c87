// SPDX-License-Identifier: Apache-2.0
// The whole authorization policy as an explicit table: a change to
// policy.cpp must change this file too.
#include "access/policy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "access/principal.hpp"
#include "access/role.hpp"

namespace cf::access {
namespace {

using P = Permission;

constexpr std::array<Role, 7> kAllRoles = {
    Role::kPlatformAdmin, Role::kHospitalAdmin, Role::kTechnologist, Role::kDoctor,
    Role::kKiosk,         Role::kAuditor,       Role::kApiClient,
};

constexpr std::array<Permission, 11> kAllPermissions = {
    P::kPublic,     P::kAuthenticated, P::kOwnSession, P::kSecondFactor,
    P::kReadImages, P::kStoreImages,   P::kReadSystem, P::kManageAccounts,
    P::kReadAudit,  P::kShareFilms,    P::kOwnShares,
};

// The permissions that touch a tenant's data (all but public and the
// caller's own account and session).
constexpr std::array<Permission, 6> kTenantPermissions = {
    P::kReadImages,     P::kStoreImages, P::kReadSystem,
    P::kManageAccounts, P::kReadAudit,   P::kShareFilms,
};

// What each role may do inside its own tenant, besides kPublic,
// kAuthenticated, kOwnSession and kSecondFactor which every role has.
const std::map<Role, std::set<Permission>>& ExpectedTable() {
  static const std::map<Role, std::set<Permission>> table = {
      {Role::kPlatformAdmin,
       {P::kReadImages, P::kStoreImages, P::kReadSystem, P::kManageAccounts, P::kReadAudit,
        P::kShareFilms}},
      {Role::kHospitalAdmin,
       {P::kReadImages, P::kStoreImages, P::kReadSystem, P::kManageAccounts, P::kReadAudit,
        P::kShareFilms}},
      {Role::kTechnologist, {P::kReadImages, P::kStoreImages}},
      {Role::kDoctor, {P::kReadImages, P::kShareFilms}},
      {Role::kKiosk, {P::kShareFilms}},
      {Role::kAuditor, {P::kReadAudit}},
      {Role::kApiClient, {P::kReadImages, P::kStoreImages}},
  };
  return table;
}

bool Expected(Role role, Permission permission) {
  if (permission == P::kPublic || permission == P::kAuthenticated || permission == P::kOwnSession ||
      permission == P::kSecondFactor) {
    return true;
  }
  return ExpectedTable().at(role).contains(permission);
}

Principal SessionOf(Role role, std::string tenant) {
  Principal p;
  p.kind = Principal::Kind::kSession;
  p.account_id = 42;
  p.login = "someone";
  p.role = role;
  p.tenant = std::move(tenant);
  p.token_id = "0123456789abcdef";
  return p;
}

Principal TokenOf(Role role, std::string tenant, std::vector<Permission> scopes) {
  Principal p = SessionOf(role, std::move(tenant));
  p.kind = Principal::Kind::kApiToken;
  p.scopes = std::move(scopes);
  return p;
}

std::string Describe(Role role, Permission permission) {
  return std::string(RoleName(role)) + " / " + std::string(PermissionName(permission));
}

TEST(PolicyTest, TableCoversEveryRole) { EXPECT_EQ(ExpectedTable().size(), kAllRoles.size()); }

TEST(PolicyTest, EveryRoleAndPermissionWithinTheTenant) {
  int allowed = 0;
  for (const Role role : kAllRoles) {
    const Principal p = SessionOf(role, "h1");
    for (const Permission permission : kAllPermissions) {
      const Decision want = Expected(role, permission) ? Decision::kAllow : Decision::kForbidden;
      EXPECT_EQ(Authorize(p, permission, "h1"), want) << Describe(role, permission);
      EXPECT_EQ(RoleHas(role, permission), Expected(role, permission))
          << Describe(role, permission);
      if (want == Decision::kAllow) ++allowed;
    }
  }
  // 7 roles x (public, authenticated, own-session, second-factor) + 6 + 6 + 2 + 2 + 1 + 1 + 2.
  EXPECT_EQ(allowed, 28 + 20);
}

TEST(PolicyTest, DefaultTenantIsTheDefaultResource) {
  const Principal doctor = SessionOf(Role::kDoctor, std::string(kDefaultTenant));
  EXPECT_EQ(Authorize(doctor, P::kReadImages), Decision::kAllow);
  const Principal other = SessionOf(Role::kDoctor, "h1");
  EXPECT_EQ(Authorize(other, P::kReadImages), Decision::kForbidden);
}

TEST(PolicyTest, PublicIsAllowedToEveryoneIncludingAnonymous) {
  EXPECT_EQ(Authorize(Principal{}, P::kPublic, "h1"), Decision::kAllow);
  EXPECT_EQ(Authorize(Principal{}, P::kPublic, "other"), Decision::kAllow);
  for (const Role role : kAllRoles) {
    EXPECT_EQ(Authorize(SessionOf(role, "h1"), P::kPublic, "h2"), Decision::kAllow)
        << RoleName(role);
    EXPECT_EQ(Authorize(TokenOf(role, "h1", {}), P::kPublic, "h1"), Decision::kAllow)
        << RoleName(role);
  }
}

TEST(PolicyTest, AuthenticatedIsAllowedToEveryAuthenticatedPrincipal) {
  for (const Role role : kAllRoles) {
    EXPECT_EQ(Authorize(SessionOf(role, "h1"), P::kAuthenticated, "h1"), Decision::kAllow)
        << RoleName(role);
    // A token without scopes still is someone: "me", its own tokens.
    EXPECT_EQ(Authorize(TokenOf(role, "h1", {}), P::kAuthenticated, "h1"), Decision::kAllow)
        << RoleName(role);
  }
  Principal bootstrap;
  bootstrap.kind = Principal::Kind::kBootstrap;
  bootstrap.role = Role::kPlatformAdmin;
  EXPECT_EQ(Authorize(bootstrap, P::kAuthenticated), Decision::kAllow);
}

TEST(PolicyTest, AnonymousIsUnauthenticatedForAllButPublic) {
  Principal anonymous;
  ASSERT_FALSE(anonymous.authenticated());
  for (const Permission permission : kAllPermissions) {
    const Decision want = permission == P::kPublic ? Decision::kAllow : Decision::kUnauthenticated;
    EXPECT_EQ(Authorize(anonymous, permission), want) << PermissionName(permission);
    EXPECT_EQ(Authorize(anonymous, permission, "h1"), want) << PermissionName(permission);
  }
  // The role field of an anonymous principal does not matter.
  anonymous.role = Role::kPlatformAdmin;
  EXPECT_EQ(Authorize(anonymous, P::kReadImages), Decision::kUnauthenticated);
  EXPECT_EQ(Authorize(anonymous, P::kManageAccounts), Decision::kUnauthenticated);
}

TEST(PolicyTest, CrossTenantIsForbiddenForAllButPlatformAdmin) {
  for (const Role role : kAllRoles) {
    const Principal p = SessionOf(role, "h1");
    for (const Permission permission : kTenantPermissions) {
      const Decision want = role == Role::kPlatformAdmin ? Decision::kAllow : Decision::kForbidden;
      EXPECT_EQ(Authorize(p, permission, "h2"), want) << Describe(role, permission);
    }
    // Public and "on its own account" do not depend on the resource's tenant.
    for (const Permission own : {P::kPublic, P::kAuthenticated, P::kOwnSession, P::kSecondFactor}) {
      EXPECT_EQ(Authorize(p, own, "h2"), Decision::kAllow) << Describe(role, own);
    }
  }
}

TEST(PolicyTest, ApiTokenIsLimitedToItsScopes) {
  const Principal reader = TokenOf(Role::kHospitalAdmin, "h1", {P::kReadImages});
  EXPECT_EQ(Authorize(reader, P::kReadImages, "h1"), Decision::kAllow);
  for (const Permission permission :
       {P::kStoreImages, P::kReadSystem, P::kManageAccounts, P::kReadAudit}) {
    EXPECT_EQ(Authorize(reader, permission, "h1"), Decision::kForbidden)
        << PermissionName(permission);
  }
  // Scopes do not extend the tenant.
  EXPECT_EQ(Authorize(reader, P::kReadImages, "h2"), Decision::kForbidden);

  // A scope the role does not have is no use either.
  const Principal doctor = TokenOf(Role::kDoctor, "h1", {P::kReadImages, P::kStoreImages});
  EXPECT_EQ(Authorize(doctor, P::kReadImages, "h1"), Decision::kAllow);
  EXPECT_EQ(Authorize(doctor, P::kStoreImages, "h1"), Decision::kForbidden);

  // A platform admin's token is bound by its scopes too, but not by tenants.
  const Principal admin = TokenOf(Role::kPlatformAdmin, "default", {P::kReadAudit});
  EXPECT_EQ(Authorize(admin, P::kReadAudit, "h9"), Decision::kAllow);
  EXPECT_EQ(Authorize(admin, P::kReadImages, "default"), Decision::kForbidden);
  EXPECT_EQ(Authorize(admin, P::kManageAccounts, "default"), Decision::kForbidden);

  // The same principal as a session has all of the role.
  Principal session = admin;
  session.kind = Principal::Kind::kSession;
  EXPECT_EQ(Authorize(session, P::kReadImages, "default"), Decision::kAllow);
  EXPECT_EQ(Authorize(session, P::kManageAccounts, "h9"), Decision::kAllow);
}

TEST(PolicyTest, ApiTokenWithAllScopesMatchesTheRoleTable) {
  for (const Role role : kAllRoles) {
    const Principal p = TokenOf(role, "h1", {kTenantPermissions.begin(), kTenantPermissions.end()});
    for (const Permission permission : kAllPermissions) {
      // A token is a machine: it has no second factor to manage.
      const Decision want = Expected(role, permission) && permission != P::kSecondFactor
                                ? Decision::kAllow
                                : Decision::kForbidden;
      EXPECT_EQ(Authorize(p, permission, "h1"), want) << Describe(role, permission);
    }
  }
}

TEST(PolicyTest, BootstrapAndOperatorArePlatformAdmins) {
  Principal bootstrap;
  bootstrap.kind = Principal::Kind::kBootstrap;
  bootstrap.role = Role::kPlatformAdmin;
  Principal op;
  op.kind = Principal::Kind::kOperator;
  op.role = Role::kPlatformAdmin;
  for (const Permission permission : kAllPermissions) {
    // Neither is a person with an account: no second factor to manage;
    // neither is a patient's share.
    const Decision want = permission == P::kSecondFactor || permission == P::kOwnShares
                              ? Decision::kForbidden
                              : Decision::kAllow;
    EXPECT_EQ(Authorize(bootstrap, permission, "h7"), want) << PermissionName(permission);
    EXPECT_EQ(Authorize(op, permission, "h7"), want) << PermissionName(permission);
  }
}

TEST(PolicyTest, SecondFactorIsManagedFromSessionsOnly) {
  for (const Role role : kAllRoles) {
    EXPECT_EQ(Authorize(SessionOf(role, "h1"), P::kSecondFactor, "h1"), Decision::kAllow)
        << RoleName(role);
    // Whatever scopes a token was given.
    EXPECT_EQ(Authorize(TokenOf(role, "h1", {kTenantPermissions.begin(), kTenantPermissions.end()}),
                        P::kSecondFactor, "h1"),
              Decision::kForbidden)
        << RoleName(role);
    EXPECT_EQ(Authorize(TokenOf(role, "h1", {}), P::kOwnSession, "h1"), Decision::kAllow)
        << RoleName(role);
  }
}

TEST(PolicyTest, ASessionThatMustEnrolGetsItsOwnSessionAndEnrolmentOnly) {
  for (const Role role : {Role::kPlatformAdmin, Role::kHospitalAdmin}) {
    Principal p = SessionOf(role, "h1");
    p.must_enrol_totp = true;
    p.break_glass_tenants = {"h2"};
    for (const Permission permission : kAllPermissions) {
      const Decision want =
          permission == P::kPublic || permission == P::kOwnSession || permission == P::kSecondFactor
              ? Decision::kAllow
              : Decision::kEnrolSecondFactor;
      EXPECT_EQ(Authorize(p, permission, "h1"), want) << Describe(role, permission);
    }
    EXPECT_EQ(Authorize(p, P::kReadImages, "h2"), Decision::kEnrolSecondFactor);
    EXPECT_FALSE(MayManageAccount(p, "h1", Role::kDoctor));
  }
}

TEST(RoleTest, RoleNamesRoundTrip) {
  const std::vector<std::pair<Role, std::string>> expected = {
      {Role::kPlatformAdmin, "platform-admin"},
      {Role::kHospitalAdmin, "hospital-admin"},
      {Role::kTechnologist, "technologist"},
      {Role::kDoctor, "doctor"},
      {Role::kKiosk, "kiosk"},
      {Role::kAuditor, "auditor"},
      {Role::kApiClient, "api-client"},
  };
  ASSERT_EQ(expected.size(), kAllRoles.size());
  for (const auto& [role, name] : expected) {
    EXPECT_EQ(RoleName(role), name);
    ASSERT_TRUE(ParseRole(name)) << name;
    EXPECT_EQ(*ParseRole(name), role) << name;
  }
}

TEST(RoleTest, UnknownRoleNames) {
  for (const std::string_view name : {"", "admin", "Doctor", "DOCTOR", "doctor ", " doctor",
                                      "platform_admin", "root", "unknown"}) {
    EXPECT_FALSE(ParseRole(name)) << "'" << name << "'";
  }
  EXPECT_EQ(RoleName(static_cast<Role>(99)), "unknown");
}

TEST(RoleTest, PermissionNamesRoundTrip) {
  const std::vector<std::pair<Permission, std::string>> expected = {
      {P::kPublic, "public"},          {P::kAuthenticated, "authenticated"},
      {P::kOwnSession, "own-session"}, {P::kSecondFactor, "second-factor"},
      {P::kReadImages, "read-images"}, {P::kStoreImages, "store-images"},
      {P::kReadSystem, "read-system"}, {P::kManageAccounts, "manage-accounts"},
      {P::kReadAudit, "read-audit"},   {P::kShareFilms, "share-films"},
      {P::kOwnShares, "own-shares"},
  };
  ASSERT_EQ(expected.size(), kAllPermissions.size());
  for (const auto& [permission, name] : expected) {
    EXPECT_EQ(PermissionName(permission), name);
    ASSERT_TRUE(ParsePermission(name)) << name;
    EXPECT_EQ(*ParsePermission(name), permission) << name;
  }
}

TEST(RoleTest, UnknownPermissionNames) {
  for (const std::string_view name :
       {"", "read", "Read-Images", "read_images", "readimages", "read-images ", "all", "*"}) {
    EXPECT_FALSE(ParsePermission(name)) << "'" << name << "'";
  }
  EXPECT_EQ(PermissionName(static_cast<Permission>(99)), "unknown");
}

}  // namespace
}  // namespace cf::access
