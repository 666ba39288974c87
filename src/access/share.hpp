// SPDX-License-Identifier: Apache-2.0
// A patient's share of a film: a URL with a random 128-bit token (only its
// SHA-256 is stored) that opens, after a second factor the hospital chose,
// a share session reading exactly the share's studies. The patient's own
// share can make shorter doctor shares from itself. Stored in
// DATA/access.sqlite (table shares); implemented in access_share.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cf::access {

// What the person opening a share must know besides the token.
enum class ShareFactor {
  kNone,         // doctor shares only: the token alone
  kBirthDate,    // the patient's birth date, YYYYMMDD (or YYYY-MM-DD)
  kPhoneLast4,   // the last 4 digits of the phone number
  kIdLast4,      // the last 4 characters of the ID card number (digits or X)
  kOneTimeCode,  // a 6-digit code sent through the notifier, valid 5 min, single use
};
std::string_view ShareFactorName(ShareFactor factor);  // "none", "birth-date", ...
std::optional<ShareFactor> ParseShareFactor(std::string_view name);
// The form a factor value is compared in (digits, upper-case X); nullopt
// when `value` cannot be one (wrong length or characters).
std::optional<std::string> NormalizeFactor(ShareFactor factor, std::string_view value);

// What a share opens: one film's study, or every study of the patient at
// that hospital (resolved when the share is made).
enum class ShareScope { kFilm, kPatient };
std::string_view ShareScopeName(ShareScope scope);  // "film", "patient"

struct NewShare {
  std::string tenant;
  std::string film_id;
  ShareScope scope = ShareScope::kFilm;
  std::vector<std::string> study_uids;  // what the scope resolved to
  ShareFactor factor = ShareFactor::kBirthDate;
  std::string factor_value;   // the expected value (kept as an Argon2id hash)
  std::string recipient;      // where codes and notices go (may be empty)
  int64_t not_before_ms = 0;  // 0 = now
  int64_t expires_ms = 0;     // REQUIRED: after not_before
};

struct ShareInfo {
  std::string id;  // public: lists, audit trail, revocation
  std::string tenant;
  std::string film_id;
  ShareScope scope = ShareScope::kFilm;
  std::vector<std::string> study_uids;
  ShareFactor factor = ShareFactor::kBirthDate;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t not_before_ms = 0;
  int64_t expires_ms = 0;
  std::optional<int64_t> revoked_ms;
  std::optional<int64_t> last_used_ms;
  std::optional<int64_t> first_opened_ms;
  int64_t failed_attempts = 0;
  int64_t locked_until_ms = 0;
  std::string parent;  // the patient share a doctor share was made from
};

// What the admin console searches a hospital's shares by; empty = any.
struct ShareFilter {
  std::string tenant = {};
  std::string study_uid = {};  // shares that cover this exam
  std::string film_id = {};
  std::string state = {};  // "live", "revoked", "expired" or empty
  size_t limit = 50;
  size_t offset = 0;
};

struct IssuedShare {
  ShareInfo info;
  std::string token;  // the URL's secret: shown once, never stored
};

// A share session, after the right factor.
// What the page at /s/{token} shows before it asks anything: the factor
// to ask for and whether the share can be opened now. Asking costs no
// attempt; it is not a factor check.
enum class ShareState { kOpen, kLocked, kRevoked, kExpired, kNotYet };
std::string_view ShareStateName(ShareState state);  // "open", "locked", ...

struct ShareStatus {
  ShareFactor factor = ShareFactor::kBirthDate;
  ShareState state = ShareState::kOpen;
  int64_t attempts_left = 0;  // wrong answers before the share locks
  int64_t retry_after_s = 0;  // while locked: how long to wait
  int64_t expires_ms = 0;
  bool doctor = false;  // a doctor share (made by the patient)
};

struct ShareSession {
  std::string token;  // "cfp_<id>_<secret>": cookie cf_session or Bearer
  std::string csrf;   // for state-changing requests with the cookie
  ShareInfo share;
  int64_t expires_ms = 0;
};

}  // namespace cf::access
