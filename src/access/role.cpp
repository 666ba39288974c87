// SPDX-License-Identifier: Apache-2.0
#include "access/role.hpp"

#include <array>
#include <utility>

namespace cf::access {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 7> kRoles = {{
    {Role::kPlatformAdmin, "platform-admin"},
    {Role::kHospitalAdmin, "hospital-admin"},
    {Role::kTechnologist, "technologist"},
    {Role::kDoctor, "doctor"},
    {Role::kKiosk, "kiosk"},
    {Role::kAuditor, "auditor"},
    {Role::kApiClient, "api-client"},
}};

constexpr std::array<std::pair<Permission, std::string_view>, 12> kPermissions = {{
    {Permission::kPublic, "public"},
    {Permission::kAuthenticated, "authenticated"},
    {Permission::kOwnSession, "own-session"},
    {Permission::kSecondFactor, "second-factor"},
    {Permission::kReadImages, "read-images"},
    {Permission::kStoreImages, "store-images"},
    {Permission::kWriteReports, "write-reports"},
    {Permission::kReadSystem, "read-system"},
    {Permission::kManageAccounts, "manage-accounts"},
    {Permission::kReadAudit, "read-audit"},
    {Permission::kShareFilms, "share-films"},
    {Permission::kOwnShares, "own-shares"},
}};

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& [value, name] : kRoles) {
    if (value == role) return name;
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [value, known] : kRoles) {
    if (known == name) return value;
  }
  return std::nullopt;
}

std::string_view PermissionName(Permission permission) {
  for (const auto& [value, name] : kPermissions) {
    if (value == permission) return name;
  }
  return "unknown";
}

std::optional<Permission> ParsePermission(std::string_view name) {
  for (const auto& [value, known] : kPermissions) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool IsTenantPermission(Permission permission) {
  return permission != Permission::kPublic && permission != Permission::kAuthenticated &&
         permission != Permission::kOwnSession && permission != Permission::kSecondFactor &&
         permission != Permission::kOwnShares;
}

}  // namespace cf::access
