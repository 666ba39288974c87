// SPDX-License-Identifier: Apache-2.0
#include "access/totp_factor.hpp"

#include <string>

#include "crypto/totp.hpp"

namespace cf::access {

using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

namespace {

// The base32 text of a secret is the secret.
void WipeText(std::string& text) {
  crypto::Wipe(std::span(reinterpret_cast<std::byte*>(text.data()), text.size()));
}

}  // namespace

Result<std::optional<TotpFactor>> LoadTotp(Connection& db, int64_t account_id) {
  auto stmt = db.Prepare(
      "SELECT secret, created_ms, confirmed_ms, last_step FROM account_totp WHERE account_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, account_id);
  struct Row {
    std::string secret;
    int64_t created_ms;
    std::optional<int64_t> confirmed_ms;
    int64_t last_step;
  };
  auto row = First<Row>(**stmt, [](const Statement& s) {
    return Row{s.Text(0), s.Int(1), s.OptInt64(2), s.Int(3)};
  });
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<TotpFactor>();
  auto decoded = crypto::Base32Decode((*row)->secret);
  WipeText((*row)->secret);
  if (!decoded) return Fail(ErrorCode::kInternal, "a stored TOTP secret is not base32");
  TotpFactor factor;
  factor.secret = crypto::SecretBytes(*decoded);
  crypto::Wipe(*decoded);
  factor.created_ms = (*row)->created_ms;
  factor.confirmed_ms = (*row)->confirmed_ms;
  factor.last_step = (*row)->last_step;
  return std::optional<TotpFactor>(std::move(factor));
}

Result<void> StorePendingTotp(Connection& db, int64_t account_id, ByteView secret, int64_t now_ms) {
  auto stmt = db.Prepare(
      "INSERT OR REPLACE INTO account_totp (account_id, secret, created_ms, confirmed_ms, "
      "last_step) VALUES (?, ?, ?, NULL, -1)");
  if (!stmt) return std::unexpected(stmt.error());
  std::string text = crypto::Base32Encode(secret);
  (*stmt)->Bind(1, account_id).Bind(2, text).Bind(3, now_ms);
  auto ran = (*stmt)->Run();
  WipeText(text);
  return ran;
}

Result<void> ActivateTotp(Connection& db, int64_t account_id, int64_t now_ms) {
  auto stmt = db.Prepare(
      "UPDATE account_totp SET confirmed_ms = ? WHERE account_id = ? AND confirmed_ms IS NULL");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, now_ms).Bind(2, account_id);
  return (*stmt)->Run();
}

Result<bool> RemoveTotp(Connection& db, int64_t account_id) {
  auto stmt = db.Prepare("DELETE FROM account_totp WHERE account_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, account_id);
  if (auto ran = (*stmt)->Run(); !ran) return std::unexpected(ran.error());
  return sqlite3_changes(db.get()) > 0;
}

Result<TotpCheck> UseTotpCode(Connection& db, int64_t account_id, const TotpFactor& factor,
                              std::string_view code, int64_t now_ms) {
  std::string digits;
  for (const char c : code.substr(0, 64)) {
    if (c != ' ') digits.push_back(c);
  }
  int64_t step = -1;
  if (now_ms < 0 || !crypto::VerifyTotp(factor.secret.view(), digits, now_ms / 1000, &step)) {
    return TotpCheck::kWrong;
  }
  if (step <= factor.last_step) return TotpCheck::kReplayed;
  // Conditional on the stored step, so that another process (the CLI) or
  // connection that used a code since `factor` was read is not undone.
  auto stmt =
      db.Prepare("UPDATE account_totp SET last_step = ? WHERE account_id = ? AND last_step < ?");
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->Bind(1, step).Bind(2, account_id).Bind(3, step);
  if (auto ran = (*stmt)->Run(); !ran) return std::unexpected(ran.error());
  return sqlite3_changes(db.get()) > 0 ? TotpCheck::kAccepted : TotpCheck::kReplayed;
}

}  // namespace cf::access
