// SPDX-License-Identifier: Apache-2.0
// The TOTP second factor as a user, an attacker and the operator meet it:
// enrolment stays pending until a code confirms it; then a login needs a
// code of the current step or one either side, never one already used;
// wrong codes count towards the lockout; admins may be held to enrolment;
// the operator can reset it. The wall clock of TOTP steps is a test clock,
// so that step boundaries never make a test flaky.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "access/access.hpp"
#include "access/policy.hpp"
#include "access_test_support.hpp"
#include "audit/audit_log.hpp"
#include "crypto/password.hpp"
#include "crypto/token.hpp"
#include "crypto/totp.hpp"
#include "support/temp_dir.hpp"

namespace cf::access {
namespace {

using namespace std::chrono_literals;
using test::CodeOf;
using test::Cookie;
using test::ErrorOf;

constexpr std::string_view kPassword = "S3cret-Passw0rd-XYZ";
constexpr std::string_view kWrongPassword = "Wr0ng-Guess-QRS";
const ClientInfo kClient{"192.0.2.10", "unit-test/1.0"};
// 2024-01-01T00:00:10Z: 10 s into a 30 s step.
constexpr int64_t kStart = 1'704'067'210;

class AccessTotpTest : public ::testing::Test {
 protected:
  std::filesystem::path DbPath() const { return dir_.Path() / "access.sqlite"; }

  AccessOptions Options() {
    AccessOptions options = test::TestOptions();
    options.max_failed_logins = 1000;
    options.totp_clock = [now = now_] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(now->load()));
    };
    return options;
  }

  std::unique_ptr<Access> Open(AccessOptions options) {
    auto opened = Access::Open(DbPath(), std::move(options), audit_.get());
    EXPECT_TRUE(opened) << ErrorOf(opened);
    return opened ? std::move(*opened) : nullptr;
  }

  void SetUp() override {
    audit::AuditOptions audit_options;
    audit_options.coalesce_window = 0ms;
    auto audit = audit::OpenSqliteAuditLog(dir_.Path() / "audit.sqlite", audit_options);
    ASSERT_TRUE(audit) << ErrorOf(audit);
    audit_ = std::move(*audit);
  }

  void Create(Access& access, const std::string& login, Role role,
              const std::string& tenant = "default") {
    NewAccount account{login, role, tenant, std::string(kPassword)};
    auto created = access.CreateAccount(OperatorPrincipal(), account);
    ASSERT_TRUE(created) << ErrorOf(created);
  }

  // The session of a password-only login, as a request would carry it.
  Principal SignIn(Access& access, std::string_view login, std::string_view code = {}) {
    auto session = access.Login(login, kPassword, kClient, code);
    EXPECT_TRUE(session) << ErrorOf(session);
    if (!session) return {};
    cookies_.push_back(session->cookie);
    auto principal = access.Authenticate(Cookie(session->cookie));
    EXPECT_TRUE(principal) << ErrorOf(principal);
    return principal ? *principal : Principal{};
  }

  // Enrols and returns the secret the authenticator app would get.
  Bytes Enrol(Access& access, const Principal& who) {
    auto enrolment = access.EnrollTotp(who, kClient);
    EXPECT_TRUE(enrolment) << ErrorOf(enrolment);
    if (!enrolment) return {};
    auto secret = crypto::Base32Decode(enrolment->secret);
    EXPECT_TRUE(secret);
    return secret.value_or(Bytes());
  }

  // Enrols and confirms with the code of now; the clock then moves one
  // step on, so that the next code is not a replay of the confirming one.
  Bytes EnrolAndConfirm(Access& access, const Principal& who) {
    Bytes secret = Enrol(access, who);
    auto confirmed = access.ConfirmTotp(who, Code(secret), kClient);
    EXPECT_TRUE(confirmed) << ErrorOf(confirmed);
    Advance(30);
    return secret;
  }

  // The code an app shows `steps` time steps from now.
  std::string Code(const Bytes& secret, int steps = 0) const {
    return crypto::TotpCode(secret, now_->load() + steps * 30);
  }

  // Six digits that are no code of the window around now.
  std::string WrongCode(const Bytes& secret) const {
    for (int n = 123456;; n = (n + 111111) % 1000000) {
      std::string code = std::to_string(1000000 + n).substr(1);
      if (code != Code(secret, -1) && code != Code(secret) && code != Code(secret, 1)) {
        return code;
      }
    }
  }

  void Advance(int64_t seconds) { now_->fetch_add(seconds); }

  std::optional<TotpState> StateOf(Access& access, std::string_view login) {
    auto accounts = access.ListAccounts(OperatorPrincipal());
    EXPECT_TRUE(accounts) << ErrorOf(accounts);
    if (!accounts) return std::nullopt;
    for (const auto& a : *accounts) {
      if (a.login == login) return a.totp;
    }
    return std::nullopt;
  }

  // One integer read directly from the access database.
  int64_t QueryInt(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(DbPath().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }

  int64_t Sessions() { return QueryInt("SELECT COUNT(*) FROM sessions"); }

  std::vector<audit::Event> Events(audit::Action action) {
    audit::EventFilter filter;
    filter.action = action;
    filter.limit = 1000;
    auto events = audit_->Find(filter);
    EXPECT_TRUE(events) << ErrorOf(events);
    return events ? *events : std::vector<audit::Event>{};
  }

  cf::testing::TempDir dir_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::shared_ptr<std::atomic<int64_t>> now_ = std::make_shared<std::atomic<int64_t>>(kStart);
  std::vector<std::string> cookies_;
};

// ---------------------------------------------------------------- enrolment

TEST_F(AccessTotpTest, EnrolmentGivesA160BitSecretAndAnOtpauthUri) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kHospitalAdmin);
  const Principal alice = SignIn(*access, "alice");
  auto enrolment = access->EnrollTotp(alice, kClient);
  ASSERT_TRUE(enrolment) << ErrorOf(enrolment);
  EXPECT_EQ(enrolment->secret.size(), 32u);
  const auto secret = crypto::Base32Decode(enrolment->secret);
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->size(), 20u);
  EXPECT_EQ(enrolment->uri, "otpauth://totp/cloudfilm:alice?secret=" + enrolment->secret +
                                "&issuer=cloudfilm&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(enrolment->expires_ms, (kStart + 600) * 1000);
  // Every enrolment draws a new secret.
  auto again = access->EnrollTotp(alice, kClient);
  ASSERT_TRUE(again);
  EXPECT_NE(again->secret, enrolment->secret);
}

TEST_F(AccessTotpTest, PendingSecretIsNotActiveBeforeConfirm) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kHospitalAdmin);
  const Principal alice = SignIn(*access, "alice");
  const Bytes secret = Enrol(*access, alice);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kPending);

  // Still a password-only login: the enrolment may have been abandoned.
  auto session = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  EXPECT_FALSE(session->principal.totp_active);
  auto principal = access->Authenticate(Cookie(session->cookie));
  ASSERT_TRUE(principal);
  EXPECT_FALSE(principal->totp_active);

  // A wrong code does not activate it.
  EXPECT_EQ(CodeOf(access->ConfirmTotp(alice, WrongCode(secret), kClient)),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(access->ConfirmTotp(alice, Code(secret, 2), kClient)),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kPending);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient));

  // The right one does.
  ASSERT_TRUE(access->ConfirmTotp(alice, Code(secret), kClient));
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kActive);
  EXPECT_EQ(access->Login("alice", kPassword, kClient).error().message, kSecondFactorRequired);
}

TEST_F(AccessTotpTest, EnrolmentExpiresUnconfirmed) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Principal alice = SignIn(*access, "alice");
  const Bytes secret = Enrol(*access, alice);
  Advance(11 * 60);
  auto late = access->ConfirmTotp(alice, Code(secret), kClient);
  EXPECT_EQ(CodeOf(late), ErrorCode::kNotFound) << ErrorOf(late);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kNone);
}

TEST_F(AccessTotpTest, EnrollingAgainReplacesAPendingSecretButNotAnActiveOne) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Principal alice = SignIn(*access, "alice");
  const Bytes first = Enrol(*access, alice);
  const Bytes second = Enrol(*access, alice);
  ASSERT_NE(Code(first), Code(second));
  EXPECT_EQ(CodeOf(access->ConfirmTotp(alice, Code(first), kClient)), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(access->ConfirmTotp(alice, Code(second), kClient));
  // A session alone cannot move an active factor to another phone.
  EXPECT_EQ(CodeOf(access->EnrollTotp(alice, kClient)), ErrorCode::kConflict);
  EXPECT_EQ(CodeOf(access->ConfirmTotp(alice, Code(second, 1), kClient)), ErrorCode::kNotFound);
}

TEST_F(AccessTotpTest, OnlyABrowserSessionManagesItsSecondFactor) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kHospitalAdmin);
  auto token = access->IssueToken(OperatorPrincipal(), {"alice", "", {}, {}});
  ASSERT_TRUE(token);
  Credentials bearer;
  const std::string header = "Bearer " + token->text;
  bearer.authorization = header;
  auto machine = access->Authenticate(bearer);
  ASSERT_TRUE(machine);
  EXPECT_EQ(Authorize(*machine, Permission::kSecondFactor), Decision::kForbidden);
  EXPECT_EQ(CodeOf(access->EnrollTotp(*machine, kClient)), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->EnrollTotp(OperatorPrincipal(), kClient)), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->DisableTotp(*machine, kPassword, "", kClient)),
            ErrorCode::kPermissionDenied);
}

// ---------------------------------------------------------------- login

TEST_F(AccessTotpTest, LoginWithoutTheCodeCreatesNoSessionAndSaysASecondFactorIsRequired) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  const int64_t sessions = Sessions();

  auto missing = access->Login("alice", kPassword, kClient);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(missing.error().message, kSecondFactorRequired);
  EXPECT_EQ(Sessions(), sessions);
  // A wrong password still answers as a wrong password: the code is asked
  // for only once the password is right.
  auto wrong_password = access->Login("alice", kWrongPassword, kClient, Code(secret));
  ASSERT_FALSE(wrong_password);
  EXPECT_NE(wrong_password.error().message, kSecondFactorRequired);

  auto session = access->Login("alice", kPassword, kClient, Code(secret));
  ASSERT_TRUE(session) << ErrorOf(session);
  EXPECT_TRUE(session->principal.totp_active);
  EXPECT_EQ(Sessions(), sessions + 1);
  auto principal = access->Authenticate(Cookie(session->cookie));
  ASSERT_TRUE(principal);
  EXPECT_TRUE(principal->totp_active);
}

TEST_F(AccessTotpTest, MissingCodesAreAuditedButDoNotLockTheAccount) {
  AccessOptions options = Options();
  options.max_failed_logins = 2;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(access->Login("alice", kPassword, kClient).error().message, kSecondFactorRequired);
  }
  // The two-step form's first post is not a failure...
  EXPECT_TRUE(access->Login("alice", kPassword, kClient, Code(secret)));
  // ...but it is on record: a right password without its code is how a
  // stolen password shows.
  int missing = 0;
  for (const auto& e : Events(audit::Action::kLoginFailed)) {
    if (e.detail == "second factor missing") ++missing;
  }
  EXPECT_EQ(missing, 5);
}

TEST_F(AccessTotpTest, ReplayedCodeIsRefused) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  const std::string code = Code(secret);
  ASSERT_TRUE(access->Login("alice", kPassword, kClient, code));

  const int64_t sessions = Sessions();
  auto replay = access->Login("alice", kPassword, kClient, code);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, ErrorCode::kUnauthenticated);
  // The code of the step before, which confirmed the enrolment, is inside
  // the drift window but older than one used: refused too.
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, Code(secret, -1)));
  // Still refused later in its step.
  Advance(10);
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, code));
  EXPECT_EQ(Sessions(), sessions);
  // The next step's code works.
  Advance(30);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient, Code(secret)));

  int replays = 0;
  for (const auto& e : Events(audit::Action::kLoginFailed)) {
    if (e.detail == "second factor (code already used)") ++replays;
  }
  EXPECT_EQ(replays, 3);
}

TEST_F(AccessTotpTest, ConcurrentLoginsWithOneCodeLetOnlyOneIn) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  const std::string code = Code(secret);
  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::atomic<int> accepted = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (access->Login("alice", kPassword, kClient, code)) ++accepted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
}

TEST_F(AccessTotpTest, DriftWindowIsOneStepEitherSide) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  Advance(60);  // away from the step the confirmation used
  // Two steps off (a minute of drift) is refused...
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, Code(secret, -2)));
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, Code(secret, 2)));
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, Code(secret, 10)));
  // ...one step either side is accepted (oldest first: a newer code used
  // first would make the older ones replays).
  for (const int steps : {-1, 0, 1}) {
    auto session = access->Login("alice", kPassword, kClient, Code(secret, steps));
    EXPECT_TRUE(session) << steps << ": " << ErrorOf(session);
  }
  // Codes typed with a space in the middle are the same code.
  Advance(60);
  std::string spaced = Code(secret, 1);
  spaced.insert(3, " ");
  EXPECT_TRUE(access->Login("alice", kPassword, kClient, spaced));
}

TEST_F(AccessTotpTest, WrongCodesCountTowardsTheLockoutLikeWrongPasswords) {
  AccessOptions options = Options();
  options.max_failed_logins = 3;
  options.lockout_base = 60s;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  const std::string wrong = WrongCode(secret);

  // One wrong password and two wrong codes make three failures in a row.
  EXPECT_EQ(CodeOf(access->Login("alice", kWrongPassword, kClient)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(access->Login("alice", kPassword, kClient, wrong)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(QueryInt("SELECT locked_until_ms FROM accounts WHERE login = 'alice'"), 0);
  EXPECT_EQ(CodeOf(access->Login("alice", kPassword, kClient, wrong)), ErrorCode::kUnauthenticated);
  EXPECT_GT(QueryInt("SELECT locked_until_ms FROM accounts WHERE login = 'alice'"), 0);
  // Locked: even the right password and code are refused now.
  auto locked = access->Login("alice", kPassword, kClient, Code(secret));
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);

  // Each wrong code is a login-failed event saying "second factor", with
  // neither the code nor the secret anywhere in it.
  int second_factor = 0;
  const std::string base32 = crypto::Base32Encode(secret);
  for (const auto& e : Events(audit::Action::kLoginFailed)) {
    if (e.detail != "second factor") continue;
    ++second_factor;
    EXPECT_EQ(e.actor, "alice");
    EXPECT_EQ(e.source, "192.0.2.10");
    EXPECT_EQ(e.outcome, audit::Outcome::kDenied);
  }
  EXPECT_EQ(second_factor, 2);
  audit::EventFilter all;
  all.limit = 1000;
  auto everything = audit_->Find(all);
  ASSERT_TRUE(everything);
  for (const auto& e : *everything) {
    EXPECT_EQ(e.detail.find(wrong), std::string::npos) << e.detail;
    EXPECT_EQ(e.detail.find(base32.substr(0, 8)), std::string::npos) << e.detail;
  }
}

TEST_F(AccessTotpTest, OnlyACompleteLoginResetsTheFailureCount) {
  AccessOptions options = Options();
  options.max_failed_logins = 2;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  const std::string wrong = WrongCode(secret);
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, wrong));
  EXPECT_EQ(QueryInt("SELECT failed_logins FROM accounts WHERE login = 'alice'"), 1);
  // A right password alone does not reset it: only a complete login does.
  EXPECT_FALSE(access->Login("alice", kPassword, kClient));
  EXPECT_EQ(QueryInt("SELECT failed_logins FROM accounts WHERE login = 'alice'"), 1);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient, Code(secret)));
  EXPECT_EQ(QueryInt("SELECT failed_logins FROM accounts WHERE login = 'alice'"), 0);
}

// ---------------------------------------------------------------- confirm, disable

TEST_F(AccessTotpTest, WrongConfirmationCodesAreRateLimitedPerAccount) {
  AccessOptions options = Options();
  options.max_failed_logins = 3;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Principal alice = SignIn(*access, "alice");
  const Bytes secret = Enrol(*access, alice);
  const std::string wrong = WrongCode(secret);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CodeOf(access->ConfirmTotp(alice, wrong, kClient)), ErrorCode::kInvalidArgument);
  }
  auto limited = access->ConfirmTotp(alice, Code(secret), kClient);
  EXPECT_EQ(CodeOf(limited), ErrorCode::kRateLimited) << ErrorOf(limited);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kPending);
}

TEST_F(AccessTotpTest, ConfirmingEndsTheAccountsOtherSessions) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto other = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(other);
  const Principal alice = SignIn(*access, "alice");
  EnrolAndConfirm(*access, alice);
  // A session opened with the password alone (perhaps by whoever else
  // knew it) ends; the one that enrolled goes on, now with the factor.
  EXPECT_EQ(CodeOf(access->Authenticate(Cookie(other->cookie))), ErrorCode::kUnauthenticated);
  auto still = access->Authenticate(Cookie(cookies_.back()));
  ASSERT_TRUE(still) << ErrorOf(still);
  EXPECT_TRUE(still->totp_active);
}

TEST_F(AccessTotpTest, DisablingNeedsThePasswordOrACodeAndCountsWrongOnes) {
  AccessOptions options = Options();
  options.max_failed_logins = 3;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  const Principal alice = SignIn(*access, "alice", Code(secret));
  Advance(30);
  auto other = access->Login("alice", kPassword, kClient, Code(secret));
  ASSERT_TRUE(other) << ErrorOf(other);
  Advance(30);

  EXPECT_EQ(CodeOf(access->DisableTotp(alice, "", "", kClient)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(access->DisableTotp(alice, kWrongPassword, "", kClient)),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(QueryInt("SELECT failed_logins FROM accounts WHERE login = 'alice'"), 1);
  EXPECT_EQ(CodeOf(access->DisableTotp(alice, "", Code(secret, -3), kClient)),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(QueryInt("SELECT failed_logins FROM accounts WHERE login = 'alice'"), 2);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kActive);

  auto disabled = access->DisableTotp(alice, kPassword, "", kClient);
  ASSERT_TRUE(disabled) << ErrorOf(disabled);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kNone);
  EXPECT_TRUE(access->Authenticate(Cookie(cookies_.back())));
  EXPECT_EQ(CodeOf(access->Authenticate(Cookie(other->cookie))), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient));
  EXPECT_EQ(CodeOf(access->DisableTotp(alice, kPassword, "", kClient)), ErrorCode::kNotFound);
}

TEST_F(AccessTotpTest, DisablingWithACodeUsesItUp) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Principal alice = SignIn(*access, "alice");
  const Bytes secret = EnrolAndConfirm(*access, alice);
  const std::string code = Code(secret);
  ASSERT_TRUE(access->Login("alice", kPassword, kClient, code));
  // The code just used to sign in cannot disable the factor.
  EXPECT_EQ(CodeOf(access->DisableTotp(alice, "", code, kClient)), ErrorCode::kPermissionDenied);
  Advance(30);
  EXPECT_TRUE(access->DisableTotp(alice, "", Code(secret), kClient));
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kNone);
}

TEST_F(AccessTotpTest, DisablingIsRefusedWhileTheAccountIsLocked) {
  AccessOptions options = Options();
  options.max_failed_logins = 2;
  options.lockout_base = 60s;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const Principal alice = SignIn(*access, "alice");
  EnrolAndConfirm(*access, alice);
  EXPECT_FALSE(access->DisableTotp(alice, kWrongPassword, "", kClient));
  EXPECT_FALSE(access->DisableTotp(alice, kWrongPassword, "", kClient));
  // A stolen session is no way around the lockout to guess on.
  EXPECT_EQ(CodeOf(access->DisableTotp(alice, kPassword, "", kClient)), ErrorCode::kRateLimited);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kActive);
}

// ---------------------------------------------------------------- required for admins

TEST_F(AccessTotpTest, RequiredForAdminsHoldsTheirSessionsToEnrolment) {
  AccessOptions options = Options();
  options.require_totp_for_admins = true;
  auto access = Open(options);
  ASSERT_TRUE(access);
  Create(*access, "root", Role::kPlatformAdmin);
  Create(*access, "head", Role::kHospitalAdmin);
  Create(*access, "doc", Role::kDoctor);

  for (const char* login : {"root", "head"}) {
    auto session = access->Login(login, kPassword, kClient);
    ASSERT_TRUE(session) << ErrorOf(session);
    EXPECT_TRUE(session->principal.must_enrol_totp) << login;
    const Principal p = SignIn(*access, login);
    EXPECT_TRUE(p.must_enrol_totp) << login;
    EXPECT_EQ(Authorize(p, Permission::kOwnSession), Decision::kAllow) << login;
    EXPECT_EQ(Authorize(p, Permission::kSecondFactor), Decision::kAllow) << login;
    for (const Permission denied :
         {Permission::kAuthenticated, Permission::kReadImages, Permission::kStoreImages,
          Permission::kReadSystem, Permission::kManageAccounts, Permission::kReadAudit}) {
      EXPECT_EQ(Authorize(p, denied), Decision::kEnrolSecondFactor)
          << login << " " << PermissionName(denied);
    }
    // Nor can it mint itself a token that would outlive the restriction,
    // nor open break-glass, whatever route it comes by.
    EXPECT_EQ(CodeOf(access->IssueToken(p, {"", "", {}, {}})), ErrorCode::kPermissionDenied);
    EXPECT_EQ(CodeOf(access->BreakGlass(p, "h9", "a reason long enough", 60s, kClient)),
              ErrorCode::kPermissionDenied);
  }
  // Other roles and machine tokens are not affected.
  EXPECT_FALSE(SignIn(*access, "doc").must_enrol_totp);
  auto token = access->IssueToken(OperatorPrincipal(), {"root", "", {}, {}});
  ASSERT_TRUE(token);
  Credentials bearer;
  const std::string header = "Bearer " + token->text;
  bearer.authorization = header;
  auto machine = access->Authenticate(bearer);
  ASSERT_TRUE(machine);
  EXPECT_FALSE(machine->must_enrol_totp);
  EXPECT_EQ(Authorize(*machine, Permission::kManageAccounts), Decision::kAllow);

  // Once the enrolment is confirmed, the same session gets everything.
  const Principal root = SignIn(*access, "root");
  const std::string cookie = cookies_.back();
  const Bytes secret = EnrolAndConfirm(*access, root);
  auto after = access->Authenticate(Cookie(cookie));
  ASSERT_TRUE(after) << ErrorOf(after);
  EXPECT_FALSE(after->must_enrol_totp);
  EXPECT_EQ(Authorize(*after, Permission::kManageAccounts), Decision::kAllow);
  // And from now on a login needs the code.
  EXPECT_EQ(access->Login("root", kPassword, kClient).error().message, kSecondFactorRequired);
  auto full = access->Login("root", kPassword, kClient, Code(secret));
  ASSERT_TRUE(full) << ErrorOf(full);
  EXPECT_FALSE(full->principal.must_enrol_totp);

  // Disabling it puts the session back to enrolment only, at once.
  ASSERT_TRUE(access->DisableTotp(*after, kPassword, "", kClient));
  auto disabled = access->Authenticate(Cookie(cookie));
  ASSERT_TRUE(disabled);
  EXPECT_TRUE(disabled->must_enrol_totp);
}

TEST_F(AccessTotpTest, NotRequiredByDefault) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "root", Role::kPlatformAdmin);
  const Principal root = SignIn(*access, "root");
  EXPECT_FALSE(root.must_enrol_totp);
  EXPECT_EQ(Authorize(root, Permission::kManageAccounts), Decision::kAllow);
}

// ---------------------------------------------------------------- operator reset

TEST_F(AccessTotpTest, OperatorResetRemovesTheFactorEndsSessionsAndIsAudited) {
  auto access = Open(Options());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kHospitalAdmin, "h1");
  Create(*access, "doc", Role::kDoctor, "h1");
  const Bytes secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
  auto session = access->Login("alice", kPassword, kClient, Code(secret));
  ASSERT_TRUE(session);

  // Not for just anyone: a doctor cannot, nor an unknown login.
  const Principal doc = SignIn(*access, "doc");
  EXPECT_EQ(CodeOf(access->ResetTotp(doc, "alice")), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->ResetTotp(OperatorPrincipal(), "nobody")), ErrorCode::kNotFound);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kActive);

  auto reset = access->ResetTotp(OperatorPrincipal(), "ALICE");
  ASSERT_TRUE(reset) << ErrorOf(reset);
  EXPECT_TRUE(*reset);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kNone);
  EXPECT_EQ(CodeOf(access->Authenticate(Cookie(session->cookie))), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient));
  auto again = access->ResetTotp(OperatorPrincipal(), "alice");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  bool recorded = false;
  for (const auto& e : Events(audit::Action::kAccountChange)) {
    if (e.actor != "operator" || e.outcome != audit::Outcome::kSuccess) continue;
    if (e.detail.find("reset for alice (totp removed)") == std::string::npos) continue;
    recorded = true;
    EXPECT_EQ(e.protocol, "cli");
    EXPECT_EQ(e.tenant, "h1") << "the account's hospital reviews it";
  }
  EXPECT_TRUE(recorded);
}

TEST_F(AccessTotpTest, TheFactorSurvivesReopening) {
  Bytes secret;
  {
    auto access = Open(Options());
    ASSERT_TRUE(access);
    Create(*access, "alice", Role::kDoctor);
    secret = EnrolAndConfirm(*access, SignIn(*access, "alice"));
    ASSERT_TRUE(access->Login("alice", kPassword, kClient, Code(secret)));
  }
  auto access = Open(Options());
  ASSERT_TRUE(access);
  EXPECT_EQ(StateOf(*access, "alice"), TotpState::kActive);
  // The used step is remembered across restarts too.
  EXPECT_FALSE(access->Login("alice", kPassword, kClient, Code(secret)));
  Advance(30);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient, Code(secret)));
}

}  // namespace
}  // namespace cf::access
