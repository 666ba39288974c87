// SPDX-License-Identifier: Apache-2.0
// Accounts and audit trail for the tests that start a real Server: a fresh
// access.sqlite and audit.sqlite in the test's folder, with kTestToken as
// the bootstrap (platform admin) token that http_client.hpp sends.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "access/access.hpp"
#include "audit/audit_log.hpp"
#include "crypto/password.hpp"
#include "http_client.hpp"

namespace cf::http::testing {

struct TestSecurity {
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<access::Access> access;

  // `adjust`, when set, changes the access options before the database opens.
  Result<void> Open(const std::filesystem::path& dir, audit::AuditOptions audit_options = {},
                    const std::function<void(access::AccessOptions&)>& adjust = nullptr) {
    access.reset();
    audit.reset();
    std::filesystem::create_directories(dir);
    auto log = audit::OpenSqliteAuditLog(dir / "audit.sqlite", audit_options);
    if (!log) return std::unexpected(log.error());
    audit = std::move(*log);
    access::AccessOptions options;
    options.bootstrap_token = std::string(kTestToken);
    // The cheapest Argon2id: tests hash many passwords.
    options.password_ops = crypto::TestPasswordCost().ops;
    options.password_mem_bytes = crypto::TestPasswordCost().mem_bytes;
    if (adjust) adjust(options);
    auto opened = access::Access::Open(dir / "access.sqlite", std::move(options), audit.get());
    if (!opened) return std::unexpected(opened.error());
    access = std::move(*opened);
    return {};
  }
};

}  // namespace cf::http::testing
