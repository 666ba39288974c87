// SPDX-License-Identifier: Apache-2.0
// One audit event: who did what to which patient data, through which door,
// and with what outcome. Events are the product's answer to "who looked at
// my exam": they are stored durably by an AuditLog (audit_log.hpp), shown to
// patients and auditors, and exported as DICOM audit messages (atna.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cf::audit {

enum class Action {
  kQuery,
  kView,
  kDownload,
  kStore,
  kDelete,
  kShare,
  kPrint,
  kLogin,
  kLoginFailed,
  kLogout,
  kBreakGlass,
  kTokenCreate,
  kTokenRevoke,
  kAccountCreate,
  kAccountChange,
  kAccessDenied,
  kConfigChange,  // the node's configuration edited at run time (DICOM nodes)
};

enum class Outcome { kSuccess, kDenied, kFailure };

// Stable lower-case names ("query", "login-failed", ...): they are what the
// database stores and what the API shows, so they never change. An
// out-of-range value has the empty name.
std::string_view ActionName(Action action);
std::optional<Action> ParseAction(std::string_view name);  // exact, case-sensitive
std::string_view OutcomeName(Outcome outcome);             // "success", "denied", "failure"
std::optional<Outcome> ParseOutcome(std::string_view name);

// Reads of patient data (kQuery, kView, kDownload): the actions an AuditLog
// may coalesce.
bool IsRead(Action action);

struct Event {
  int64_t id = 0;       // assigned when stored (monotonic)
  int64_t time_ms = 0;  // Unix ms UTC; 0 = "now" when recorded
  std::string tenant = "default";
  std::string actor;       // account login, "token:<id>", "bootstrap", "ae:<AET>", "anonymous"
  std::string role;        // "platform-admin", "doctor", ... or empty
  std::string token_id;    // API token or share token id, or empty
  std::string patient_id;  // what was touched (any may be empty)
  std::string study_uid;
  std::string series_uid;
  std::string sop_uid;
  Action action = Action::kView;
  Outcome outcome = Outcome::kSuccess;
  std::string protocol;  // "http", "dimse", "cli"
  std::string route;     // route pattern ("/dicom-web/studies/{study}") or DIMSE service ("C-FIND")
  std::string source;    // peer address
  std::string user_agent;
  std::string detail;    // free text: break-glass reason, counts, query keys
  bool flagged = false;  // needs review (break-glass)
};

}  // namespace cf::audit
