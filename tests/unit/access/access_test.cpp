// SPDX-License-Identifier: Apache-2.0
#include "access/access.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <latch>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "access/policy.hpp"
#include "access_test_support.hpp"
#include "audit/audit_log.hpp"
#include "crypto/password.hpp"
#include "crypto/token.hpp"
#include "support/temp_dir.hpp"

namespace cf::access {
namespace {

using namespace std::chrono_literals;
using test::CodeOf;
using test::Cookie;
using test::ErrorOf;
using test::TestOptions;

constexpr std::string_view kPassword = "S3cret-Passw0rd-XYZ";
constexpr std::string_view kWrongPassword = "Wr0ng-Guess-QRS";
constexpr std::string_view kBootstrapToken = "bootstrap-token-0123456789-abcdef";
const ClientInfo kClient{"192.0.2.10", "unit-test/1.0"};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sleeps until the wall clock has passed `until_ms` by `margin`.
void SleepPast(int64_t until_ms, std::chrono::milliseconds margin = 30ms) {
  const int64_t left = until_ms - NowMs();
  if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(left));
  std::this_thread::sleep_for(margin);
}

// The header value lives as long as the returned Credentials are used.
struct BearerCredentials {
  std::string header;
  Credentials credentials;
  explicit BearerCredentials(std::string value, bool state_changing = false)
      : header(std::move(value)) {
    credentials.authorization = header;
    credentials.state_changing = state_changing;
  }
};

Result<Principal> AuthBearer(Access& access, const std::string& token,
                             std::string_view scheme = "Bearer ") {
  BearerCredentials c(std::string(scheme) + token);
  return access.Authenticate(c.credentials);
}

// The "retry in N s" of a rate-limit message, or -1.
int RetrySeconds(const std::string& message) {
  static const std::regex kRetry("retry in ([0-9]+) s");
  std::smatch m;
  if (!std::regex_search(message, m, kRetry)) return -1;
  return std::stoi(m[1].str());
}

// Runs one SQL statement on the access database directly.
void ExecSql(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

class AccessTest : public ::testing::Test {
 protected:
  std::filesystem::path DbPath() const { return dir_.Path() / "access.sqlite"; }

  std::unique_ptr<Access> OpenAccess(AccessOptions options = TestOptions(),
                                     audit::AuditLog* audit = nullptr,
                                     const std::filesystem::path& path = {}) {
    auto opened = Access::Open(path.empty() ? DbPath() : path, std::move(options), audit);
    EXPECT_TRUE(opened) << ErrorOf(opened);
    return opened ? std::move(*opened) : nullptr;
  }

  AccountInfo Create(Access& access, std::string login, Role role,
                     std::string tenant = std::string(kDefaultTenant)) {
    NewAccount account{std::move(login), role, std::move(tenant), std::string(kPassword)};
    auto created = access.CreateAccount(OperatorPrincipal(), account);
    EXPECT_TRUE(created) << ErrorOf(created);
    return created ? *created : AccountInfo{};
  }

  // A real session principal of `login`, as a request would carry it.
  Principal SignIn(Access& access, std::string_view login) {
    auto session = access.Login(login, kPassword, kClient);
    EXPECT_TRUE(session) << ErrorOf(session);
    if (!session) return {};
    auto principal = access.Authenticate(Cookie(session->cookie));
    EXPECT_TRUE(principal) << ErrorOf(principal);
    return principal ? *principal : Principal{};
  }

  std::optional<AccountInfo> FindAccount(Access& access, std::string_view login) {
    auto accounts = access.ListAccounts(OperatorPrincipal());
    EXPECT_TRUE(accounts) << ErrorOf(accounts);
    if (!accounts) return std::nullopt;
    for (const auto& a : *accounts) {
      if (a.login == login) return a;
    }
    return std::nullopt;
  }

  std::optional<TokenInfo> FindToken(Access& access, std::string_view id) {
    auto tokens = access.ListTokens(OperatorPrincipal());
    EXPECT_TRUE(tokens) << ErrorOf(tokens);
    if (!tokens) return std::nullopt;
    for (const auto& t : *tokens) {
      if (t.id == id) return t;
    }
    return std::nullopt;
  }

  IssuedApiToken Issue(Access& access, const Principal& by, TokenRequest request) {
    auto issued = access.IssueToken(by, request);
    EXPECT_TRUE(issued) << ErrorOf(issued);
    return issued ? *issued : IssuedApiToken{};
  }

  cf::testing::TempDir dir_;
};

// ---------------------------------------------------------------- login

TEST_F(AccessTest, LoginGivesSessionThatAuthenticates) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  const AccountInfo alice = Create(*access, "alice", Role::kDoctor, "h1");
  ASSERT_GT(alice.id, 0);

  const int64_t before = NowMs();
  auto session = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  EXPECT_TRUE(session->cookie.starts_with("cfs_")) << session->cookie;
  EXPECT_TRUE(session->csrf.starts_with("cfc_")) << session->csrf;
  const auto cookie = crypto::ParseToken(session->cookie);
  ASSERT_TRUE(cookie);
  EXPECT_EQ(cookie->prefix, "cfs");
  const auto csrf = crypto::ParseToken(session->csrf);
  ASSERT_TRUE(csrf);
  EXPECT_NE(csrf->secret, cookie->secret);

  const Principal& p = session->principal;
  EXPECT_EQ(p.kind, Principal::Kind::kSession);
  EXPECT_EQ(p.login, "alice");
  EXPECT_EQ(p.role, Role::kDoctor);
  EXPECT_EQ(p.tenant, "h1");
  EXPECT_EQ(p.account_id, alice.id);
  EXPECT_EQ(p.token_id, cookie->id);
  EXPECT_TRUE(p.scopes.empty());
  // Default session_max: 12 hours.
  EXPECT_GE(session->expires_ms, before + 12 * 3600 * 1000);
  EXPECT_LE(session->expires_ms, NowMs() + 12 * 3600 * 1000);

  auto authenticated = access->Authenticate(Cookie(session->cookie));
  ASSERT_TRUE(authenticated) << ErrorOf(authenticated);
  EXPECT_EQ(authenticated->kind, Principal::Kind::kSession);
  EXPECT_EQ(authenticated->login, "alice");
  EXPECT_EQ(authenticated->role, Role::kDoctor);
  EXPECT_EQ(authenticated->tenant, "h1");
  EXPECT_EQ(authenticated->account_id, alice.id);
  EXPECT_EQ(authenticated->token_id, cookie->id);
  EXPECT_EQ(authenticated->Actor(), "alice");
  EXPECT_EQ(Authorize(*authenticated, Permission::kReadImages, "h1"), Decision::kAllow);

  const auto info = FindAccount(*access, "alice");
  ASSERT_TRUE(info);
  ASSERT_TRUE(info->last_login_ms);
  EXPECT_GE(*info->last_login_ms, before);
}

TEST_F(AccessTest, LoginIsCaseInsensitiveAndNamesTheStoredLogin) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto session = access->Login("ALICE", kPassword, kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  // The audit trail and the API must name the same account the same way.
  EXPECT_EQ(session->principal.login, "alice");
  auto authenticated = access->Authenticate(Cookie(session->cookie));
  ASSERT_TRUE(authenticated) << ErrorOf(authenticated);
  EXPECT_EQ(authenticated->login, "alice");
}

TEST_F(AccessTest, NoCredentialsIsAnonymous) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  auto p = access->Authenticate(Credentials{});
  ASSERT_TRUE(p) << ErrorOf(p);
  EXPECT_EQ(p->kind, Principal::Kind::kAnonymous);
  EXPECT_FALSE(p->authenticated());
  EXPECT_EQ(p->Actor(), "anonymous");
}

TEST_F(AccessTest, WrongPasswordAndUnknownLoginLookTheSame) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);

  auto wrong = access->Login("alice", kWrongPassword, kClient);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);

  auto unknown = access->Login("nobody", kPassword, kClient);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, wrong.error().code);
  EXPECT_EQ(unknown.error().message, wrong.error().message);

  // An empty password is just a wrong one.
  auto empty = access->Login("alice", "", kClient);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(empty.error().message, wrong.error().message);
}

TEST_F(AccessTest, MalformedLoginIsRejected) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto reference = access->Login("alice", kWrongPassword, kClient);
  ASSERT_FALSE(reference);
  for (const std::string& login :
       {std::string(), std::string("al"), std::string("alice bob"), std::string("alice\n"),
        std::string("alice'--"), std::string(65, 'a'), std::string("al\0ce", 5)}) {
    auto result = access->Login(login, kPassword, kClient);
    ASSERT_FALSE(result) << login;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << login;
    EXPECT_EQ(result.error().message, reference.error().message) << login;
  }
  // A password beyond the policy's maximum is refused without hashing it.
  auto huge = access->Login("alice", std::string(1025, 'x'), kClient);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AccessTest, LoginsAreAuditedWithSourceAndWithoutPasswords) {
  audit::AuditOptions audit_options;
  audit_options.coalesce_window = 0ms;
  auto audit = audit::OpenSqliteAuditLog(dir_.Path() / "audit.sqlite", audit_options);
  ASSERT_TRUE(audit) << ErrorOf(audit);
  auto access = OpenAccess(TestOptions(), audit->get());
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor, "h1");

  ASSERT_TRUE(access->Login("alice", kPassword, kClient));
  ASSERT_FALSE(access->Login("alice", kWrongPassword, kClient));
  ASSERT_FALSE(access->Login("nobody", kWrongPassword, ClientInfo{"198.51.100.7", "curl/8"}));
  // Someone typing the password into the login field: malformed, and the
  // field is not recorded as it is.
  ASSERT_FALSE(access->Login("S3cret Passw0rd", kPassword, kClient));

  audit::EventFilter all;
  all.limit = 1000;
  auto events = (*audit)->Find(all);
  ASSERT_TRUE(events) << ErrorOf(events);

  int logins = 0, failed = 0;
  bool wrong_seen = false, unknown_seen = false, malformed_seen = false;
  for (const audit::Event& e : *events) {
    if (e.action == audit::Action::kLogin) {
      ++logins;
      EXPECT_EQ(e.outcome, audit::Outcome::kSuccess);
      EXPECT_EQ(e.actor, "alice");
      EXPECT_EQ(e.tenant, "h1");
      EXPECT_EQ(e.role, "doctor");
      EXPECT_EQ(e.source, "192.0.2.10");
      EXPECT_EQ(e.user_agent, "unit-test/1.0");
      EXPECT_EQ(e.protocol, "http");
    }
    if (e.action == audit::Action::kLoginFailed) {
      ++failed;
      EXPECT_EQ(e.outcome, audit::Outcome::kDenied);
      EXPECT_FALSE(e.source.empty());
      if (e.actor == "alice") {
        wrong_seen = true;
        EXPECT_EQ(e.source, "192.0.2.10");
        EXPECT_EQ(e.tenant, "h1");
      } else if (e.actor == "nobody") {
        unknown_seen = true;
        EXPECT_EQ(e.source, "198.51.100.7");
        EXPECT_EQ(e.user_agent, "curl/8");
      } else {
        malformed_seen = true;
        EXPECT_EQ(e.source, "192.0.2.10");
      }
    }
    // No field of any event holds a password (or the start of one).
    for (const std::string* field :
         {&e.tenant, &e.actor, &e.role, &e.token_id, &e.patient_id, &e.study_uid, &e.series_uid,
          &e.sop_uid, &e.protocol, &e.route, &e.source, &e.user_agent, &e.detail}) {
      for (const std::string_view secret : {kPassword, kWrongPassword}) {
        EXPECT_EQ(field->find(secret), std::string::npos) << *field;
        EXPECT_EQ(field->find(secret.substr(0, 6)), std::string::npos) << *field;
      }
      EXPECT_EQ(field->find("S3cret Passw0rd"), std::string::npos) << *field;
    }
  }
  EXPECT_EQ(logins, 1);
  EXPECT_EQ(failed, 3);
  EXPECT_TRUE(wrong_seen);
  EXPECT_TRUE(unknown_seen);
  EXPECT_TRUE(malformed_seen);
}

TEST_F(AccessTest, DisabledAccountCannotLogInNorUseItsCredentials) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kTechnologist);
  auto session = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  const IssuedApiToken token = Issue(*access, OperatorPrincipal(), {"alice", "", {}, {}});
  ASSERT_TRUE(AuthBearer(*access, token.text));

  ExecSql(DbPath(), "UPDATE accounts SET disabled = 1 WHERE login = 'alice'");

  auto login = access->Login("alice", kPassword, kClient);
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, ErrorCode::kUnauthenticated);
  auto unknown = access->Login("nobody", kPassword, kClient);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(login.error().message, unknown.error().message);
  EXPECT_EQ(CodeOf(access->Authenticate(Cookie(session->cookie))), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(AuthBearer(*access, token.text)), ErrorCode::kUnauthenticated);
}

// ---------------------------------------------------------------- lockout

TEST_F(AccessTest, AccountLocksAfterMaxFailuresAndUnlocksWhenTheLockExpires) {
  AccessOptions options = TestOptions();
  options.max_failed_logins = 3;
  options.lockout_base = 1s;
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  Create(*access, "bob", Role::kDoctor);

  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(CodeOf(access->Login("bob", kWrongPassword, kClient)), ErrorCode::kUnauthenticated);
    EXPECT_EQ(FindAccount(*access, "bob")->locked_until_ms, 0) << i;
  }
  const int64_t before = NowMs();
  // The third failure locks; it still answers as a wrong password.
  EXPECT_EQ(CodeOf(access->Login("bob", kWrongPassword, kClient)), ErrorCode::kUnauthenticated);
  const int64_t after = NowMs();
  const int64_t locked_until = FindAccount(*access, "bob")->locked_until_ms;
  EXPECT_GE(locked_until, before + 1000);
  EXPECT_LE(locked_until, after + 1000);

  auto locked = access->Login("bob", kPassword, kClient);
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(RetrySeconds(locked.error().message), 1) << locked.error().message;
  // Guessing on while locked neither gets in nor moves the lock.
  EXPECT_EQ(CodeOf(access->Login("bob", kWrongPassword, kClient)), ErrorCode::kRateLimited);
  EXPECT_EQ(FindAccount(*access, "bob")->locked_until_ms, locked_until);

  SleepPast(locked_until);
  auto unlocked = access->Login("bob", kPassword, kClient);
  ASSERT_TRUE(unlocked) << ErrorOf(unlocked);
  EXPECT_EQ(FindAccount(*access, "bob")->locked_until_ms, 0);
  // The counter was reset: one more failure does not lock again at once
  // (it would, for twice as long, if the count had stayed at 3).
  EXPECT_EQ(CodeOf(access->Login("bob", kWrongPassword, kClient)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(FindAccount(*access, "bob")->locked_until_ms, 0);
  EXPECT_TRUE(access->Login("bob", kPassword, kClient));
}

TEST_F(AccessTest, LockDoublesOnFurtherFailuresUpToTheMaximum) {
  AccessOptions options = TestOptions();
  options.max_failed_logins = 2;
  options.lockout_base = 1s;
  auto doubling = OpenAccess(options);
  options.lockout_max = 1s;
  auto capped = OpenAccess(options, nullptr, dir_.Path() / "capped.sqlite");
  ASSERT_TRUE(doubling && capped);
  Create(*doubling, "carol", Role::kDoctor);
  Create(*capped, "carol", Role::kDoctor);

  for (Access* access : {doubling.get(), capped.get()}) {
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(CodeOf(access->Login("carol", kWrongPassword, kClient)),
                ErrorCode::kUnauthenticated);
    }
  }
  const int64_t first_doubling = FindAccount(*doubling, "carol")->locked_until_ms;
  const int64_t first_capped = FindAccount(*capped, "carol")->locked_until_ms;
  ASSERT_GT(first_doubling, 0);
  ASSERT_GT(first_capped, 0);
  SleepPast(std::max(first_doubling, first_capped));

  // One more failure after the lock: twice the lock, or the maximum.
  int64_t before = NowMs();
  EXPECT_EQ(CodeOf(doubling->Login("carol", kWrongPassword, kClient)), ErrorCode::kUnauthenticated);
  int64_t after = NowMs();
  const int64_t second_doubling = FindAccount(*doubling, "carol")->locked_until_ms;
  EXPECT_GE(second_doubling, before + 2000);
  EXPECT_LE(second_doubling, after + 2000);
  auto locked = doubling->Login("carol", kPassword, kClient);
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(RetrySeconds(locked.error().message), 2) << locked.error().message;

  before = NowMs();
  EXPECT_EQ(CodeOf(capped->Login("carol", kWrongPassword, kClient)), ErrorCode::kUnauthenticated);
  after = NowMs();
  const int64_t second_capped = FindAccount(*capped, "carol")->locked_until_ms;
  EXPECT_GE(second_capped, before + 1000);
  EXPECT_LE(second_capped, after + 1000);
}

TEST_F(AccessTest, ConcurrentWrongPasswordsAllCount) {
  AccessOptions options = TestOptions();
  options.max_failed_logins = 5;
  options.lockout_base = 60s;
  // A slower hash widens the window between reading the failure count and
  // writing it back.
  options.password_ops = 2;
  options.password_mem_bytes = size_t{8} << 20;
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  Create(*access, "dave", Role::kDoctor);

  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> unexpected{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto result = access->Login("dave", kWrongPassword, kClient);
      if (result || (result.error().code != ErrorCode::kUnauthenticated &&
                     result.error().code != ErrorCode::kRateLimited)) {
        ++unexpected;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  // Eight failures against a limit of five: the account must be locked.
  EXPECT_GT(FindAccount(*access, "dave")->locked_until_ms, NowMs());
  EXPECT_EQ(CodeOf(access->Login("dave", kPassword, kClient)), ErrorCode::kRateLimited);
}

// ---------------------------------------------------------------- address rate limit

TEST_F(AccessTest, AddressRateLimitAppliesEvenToTheRightPassword) {
  AccessOptions options = TestOptions();
  options.login_attempts_per_minute = 3;
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  Create(*access, "erin", Role::kDoctor);
  const ClientInfo attacker{"203.0.113.5", "x"};

  EXPECT_EQ(CodeOf(access->Login("erin", kWrongPassword, attacker)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(access->Login("nobody", kWrongPassword, attacker)), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(access->Login("erin", kPassword, attacker));
  auto fourth = access->Login("erin", kPassword, attacker);
  ASSERT_FALSE(fourth);
  EXPECT_EQ(fourth.error().code, ErrorCode::kRateLimited);
  const int retry = RetrySeconds(fourth.error().message);
  EXPECT_GE(retry, 1) << fourth.error().message;
  EXPECT_LE(retry, 60) << fourth.error().message;

  // Another address is not limited, and the account is not locked.
  auto other = access->Login("erin", kPassword, ClientInfo{"203.0.113.6", "x"});
  EXPECT_TRUE(other) << ErrorOf(other);
  EXPECT_EQ(FindAccount(*access, "erin")->locked_until_ms, 0);
}

// ---------------------------------------------------------------- sessions

TEST_F(AccessTest, EveryLoginGetsANewSession) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto first = access->Login("alice", kPassword, kClient);
  auto second = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->cookie, second->cookie);
  EXPECT_NE(first->csrf, second->csrf);
  EXPECT_NE(first->principal.token_id, second->principal.token_id);
  EXPECT_EQ(crypto::ParseToken(second->cookie)->id, second->principal.token_id);
}

TEST_F(AccessTest, LogoutEndsOnlyThatSession) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto first = access->Login("alice", kPassword, kClient);
  auto second = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(first && second);
  auto principal = access->Authenticate(Cookie(first->cookie));
  ASSERT_TRUE(principal) << ErrorOf(principal);

  ASSERT_TRUE(access->Logout(*principal));
  auto after = access->Authenticate(Cookie(first->cookie));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(access->Authenticate(Cookie(second->cookie)));
  // Twice is harmless.
  EXPECT_TRUE(access->Logout(*principal));
  // Not a session: nothing to end.
  EXPECT_TRUE(access->Logout(Principal{}));
}

TEST_F(AccessTest, SessionExpiresWhenIdleButNotWhileInUse) {
  AccessOptions options = TestOptions();
  options.session_idle = 1s;
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto session = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(session) << ErrorOf(session);

  std::this_thread::sleep_for(600ms);
  EXPECT_TRUE(access->Authenticate(Cookie(session->cookie)));
  std::this_thread::sleep_for(600ms);
  // 1.2 s after the login, but only 0.6 s after its last use.
  auto in_use = access->Authenticate(Cookie(session->cookie));
  EXPECT_TRUE(in_use) << ErrorOf(in_use);
  std::this_thread::sleep_for(1100ms);
  auto idle = access->Authenticate(Cookie(session->cookie));
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AccessTest, SessionExpiresAfterItsMaximumEvenInUse) {
  AccessOptions options = TestOptions();
  options.session_max = 1s;
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  const int64_t before = NowMs();
  auto session = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  EXPECT_GE(session->expires_ms, before + 1000);
  EXPECT_LE(session->expires_ms, NowMs() + 1000);
  EXPECT_TRUE(access->Authenticate(Cookie(session->cookie)));
  SleepPast(session->expires_ms);
  auto expired = access->Authenticate(Cookie(session->cookie));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AccessTest, StateChangingRequestsNeedTheSessionsCsrfToken) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto mine = access->Login("alice", kPassword, kClient);
  auto other = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(mine && other);
  const std::string forged = crypto::IssueToken("cfc").text;

  for (const std::string& csrf :
       {std::string(), forged, other->csrf, mine->cookie, std::string("garbage"),
        mine->csrf.substr(0, mine->csrf.size() - 1), mine->csrf + " "}) {
    auto denied = access->Authenticate(Cookie(mine->cookie, true, csrf));
    ASSERT_FALSE(denied) << "'" << csrf << "'";
    EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied) << "'" << csrf << "'";
  }
  auto allowed = access->Authenticate(Cookie(mine->cookie, true, mine->csrf));
  ASSERT_TRUE(allowed) << ErrorOf(allowed);
  EXPECT_EQ(allowed->token_id, mine->principal.token_id);

  // Reads need none, and ignore a wrong one.
  EXPECT_TRUE(access->Authenticate(Cookie(mine->cookie, false)));
  EXPECT_TRUE(access->Authenticate(Cookie(mine->cookie, false, forged)));
}

TEST_F(AccessTest, MalformedOrForeignSessionCookiesAreRefused) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "alice", Role::kDoctor);
  auto session = access->Login("alice", kPassword, kClient);
  ASSERT_TRUE(session);
  const IssuedApiToken token = Issue(*access, OperatorPrincipal(), {"alice", "", {}, {}});
  std::string tampered = session->cookie;
  tampered[21] = tampered[21] == 'A' ? 'B' : 'A';
  for (const std::string& cookie :
       {std::string("x"), token.text, session->csrf, tampered, crypto::IssueToken("cfs").text}) {
    auto result = access->Authenticate(Cookie(cookie));
    ASSERT_FALSE(result) << cookie;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << cookie;
  }
  // A session cookie is not a bearer token.
  EXPECT_EQ(CodeOf(AuthBearer(*access, session->cookie)), ErrorCode::kUnauthenticated);
}

// ---------------------------------------------------------------- API tokens

TEST_F(AccessTest, IssuedTokenIsShownOnceAndAuthenticates) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  const AccountInfo gateway = Create(*access, "gateway", Role::kApiClient, "h1");
  const int64_t before = NowMs();
  const IssuedApiToken issued =
      Issue(*access, OperatorPrincipal(), {"gateway", "pacs gateway", {}, {}});
  ASSERT_TRUE(std::regex_match(issued.text, std::regex("cft_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")))
      << issued.text;
  EXPECT_EQ(issued.info.id, issued.text.substr(4, 16));
  EXPECT_EQ(issued.info.login, "gateway");
  EXPECT_EQ(issued.info.label, "pacs gateway");
  EXPECT_GE(issued.info.created_ms, before);
  EXPECT_FALSE(issued.info.expires_ms);
  EXPECT_FALSE(issued.info.revoked_ms);
  // Default scopes: all of the role's.
  EXPECT_EQ(issued.info.scopes,
            (std::vector<Permission>{Permission::kReadImages, Permission::kStoreImages,
                                     Permission::kWriteReports}));

  const std::string secret = issued.text.substr(21);
  auto tokens = access->ListTokens(OperatorPrincipal());
  ASSERT_TRUE(tokens) << ErrorOf(tokens);
  ASSERT_EQ(tokens->size(), 1u);
  const TokenInfo& listed = tokens->front();
  EXPECT_EQ(listed.id, issued.info.id);
  EXPECT_EQ(listed.scopes, issued.info.scopes);
  for (const std::string* field : {&listed.id, &listed.login, &listed.label}) {
    EXPECT_EQ(field->find(secret), std::string::npos);
    EXPECT_EQ(field->find(secret.substr(0, 8)), std::string::npos);
    EXPECT_EQ(field->find(issued.text), std::string::npos);
  }

  for (const std::string_view scheme : {"Bearer ", "bearer ", "BEARER "}) {
    auto p = AuthBearer(*access, issued.text, scheme);
    ASSERT_TRUE(p) << scheme << ErrorOf(p);
    EXPECT_EQ(p->kind, Principal::Kind::kApiToken);
    EXPECT_EQ(p->login, "gateway");
    EXPECT_EQ(p->account_id, gateway.id);
    EXPECT_EQ(p->role, Role::kApiClient);
    EXPECT_EQ(p->tenant, "h1");
    EXPECT_EQ(p->token_id, issued.info.id);
    EXPECT_EQ(p->scopes, issued.info.scopes);
  }
  // A token needs no CSRF token: a cross-site page cannot make a browser send it.
  BearerCredentials post("Bearer " + issued.text, true);
  EXPECT_TRUE(access->Authenticate(post.credentials));
}

TEST_F(AccessTest, TokenScopesAreKeptAndLimitThePrincipal) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "admin1", Role::kHospitalAdmin, "h1");
  const IssuedApiToken issued =
      Issue(*access, OperatorPrincipal(), {"admin1", "", {Permission::kReadAudit}, {}});
  EXPECT_EQ(issued.info.scopes, std::vector<Permission>{Permission::kReadAudit});
  auto p = AuthBearer(*access, issued.text);
  ASSERT_TRUE(p) << ErrorOf(p);
  EXPECT_EQ(p->scopes, std::vector<Permission>{Permission::kReadAudit});
  EXPECT_EQ(Authorize(*p, Permission::kReadAudit, "h1"), Decision::kAllow);
  EXPECT_EQ(Authorize(*p, Permission::kReadImages, "h1"), Decision::kForbidden);
  EXPECT_EQ(Authorize(*p, Permission::kManageAccounts, "h1"), Decision::kForbidden);

  // Default scopes of a hospital admin: all seven.
  const IssuedApiToken all = Issue(*access, OperatorPrincipal(), {"admin1", "", {}, {}});
  EXPECT_EQ(all.info.scopes,
            (std::vector<Permission>{Permission::kReadImages, Permission::kStoreImages,
                                     Permission::kWriteReports, Permission::kReadSystem,
                                     Permission::kManageAccounts, Permission::kReadAudit,
                                     Permission::kShareFilms}));
}

TEST_F(AccessTest, ScopesBeyondTheRoleAreRefused) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "doc", Role::kDoctor);
  for (const Permission scope :
       {Permission::kStoreImages, Permission::kManageAccounts, Permission::kReadAudit,
        Permission::kReadSystem, Permission::kPublic, Permission::kAuthenticated,
        Permission::kOwnSession, Permission::kSecondFactor}) {
    auto issued =
        access->IssueToken(OperatorPrincipal(), {"doc", "", {Permission::kReadImages, scope}, {}});
    ASSERT_FALSE(issued) << PermissionName(scope);
    EXPECT_EQ(issued.error().code, ErrorCode::kInvalidArgument) << PermissionName(scope);
  }
  auto tokens = access->ListTokens(OperatorPrincipal());
  ASSERT_TRUE(tokens);
  EXPECT_TRUE(tokens->empty());
}

TEST_F(AccessTest, ApiTokenCannotIssueATokenWithMoreScopesThanItsOwn) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "admin1", Role::kHospitalAdmin, "h1");
  const IssuedApiToken reader =
      Issue(*access, OperatorPrincipal(), {"admin1", "", {Permission::kReadImages}, {}});
  auto by = AuthBearer(*access, reader.text);
  ASSERT_TRUE(by) << ErrorOf(by);

  // Asking for nothing gets no more than the caller's own scopes.
  auto same = access->IssueToken(*by, {"", "", {}, {}});
  ASSERT_TRUE(same) << ErrorOf(same);
  EXPECT_EQ(same->info.scopes, std::vector<Permission>{Permission::kReadImages});
  for (const Permission scope : {Permission::kManageAccounts, Permission::kStoreImages}) {
    auto wider = access->IssueToken(*by, {"", "", {scope}, {}});
    ASSERT_FALSE(wider) << PermissionName(scope);
    EXPECT_EQ(wider.error().code, ErrorCode::kPermissionDenied);
  }
  // A session of the same account has the whole role.
  const Principal session = SignIn(*access, "admin1");
  auto full = access->IssueToken(session, {"", "", {Permission::kManageAccounts}, {}});
  EXPECT_TRUE(full) << ErrorOf(full);
}

TEST_F(AccessTest, TamperedUnknownAndRevokedTokensAreRefused) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "gateway", Role::kApiClient);
  const IssuedApiToken issued = Issue(*access, OperatorPrincipal(), {"gateway", "", {}, {}});
  ASSERT_TRUE(AuthBearer(*access, issued.text));

  // The first secret character carries six whole bits: any change stays
  // well-formed and must fail the hash.
  std::string tampered = issued.text;
  tampered[21] = tampered[21] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(crypto::ParseToken(tampered));
  std::string unknown_id = issued.text;
  unknown_id[4] = unknown_id[4] == '0' ? '1' : '0';
  ASSERT_TRUE(crypto::ParseToken(unknown_id));
  for (const std::string& text :
       {tampered, unknown_id, crypto::IssueToken("cft").text,
        issued.text.substr(0, issued.text.size() - 1), std::string("garbage")}) {
    auto result = AuthBearer(*access, text);
    ASSERT_FALSE(result) << text;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << text;
  }
  for (const std::string& header :
       {std::string("Bearer"), std::string("Bearer "), std::string("Basic ") + issued.text,
        std::string("Token ") + issued.text, issued.text}) {
    BearerCredentials c(header);
    auto result = access->Authenticate(c.credentials);
    ASSERT_FALSE(result) << header;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << header;
  }

  ASSERT_TRUE(access->RevokeToken(OperatorPrincipal(), issued.info.id));
  auto revoked = AuthBearer(*access, issued.text);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kUnauthenticated);
  const auto info = FindToken(*access, issued.info.id);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->revoked_ms);
  EXPECT_EQ(CodeOf(access->RevokeToken(OperatorPrincipal(), "0000000000000000")),
            ErrorCode::kNotFound);
}

TEST_F(AccessTest, TokenExpiresAfterItsLifetime) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "gateway", Role::kApiClient);
  const IssuedApiToken issued =
      Issue(*access, OperatorPrincipal(), {"gateway", "", {}, std::chrono::seconds(1)});
  ASSERT_TRUE(issued.info.expires_ms);
  EXPECT_EQ(*issued.info.expires_ms, issued.info.created_ms + 1000);
  auto fresh = AuthBearer(*access, issued.text);
  EXPECT_TRUE(fresh) << ErrorOf(fresh);
  SleepPast(*issued.info.expires_ms);
  auto expired = AuthBearer(*access, issued.text);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AccessTest, LastUsedIsSetAfterUse) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "gateway", Role::kApiClient);
  const IssuedApiToken issued = Issue(*access, OperatorPrincipal(), {"gateway", "", {}, {}});
  auto unused = FindToken(*access, issued.info.id);
  ASSERT_TRUE(unused);
  EXPECT_FALSE(unused->last_used_ms);
  const int64_t before = NowMs();
  ASSERT_TRUE(AuthBearer(*access, issued.text));
  auto used = FindToken(*access, issued.info.id);
  ASSERT_TRUE(used);
  ASSERT_TRUE(used->last_used_ms);
  EXPECT_GE(*used->last_used_ms, before);
  EXPECT_LE(*used->last_used_ms, NowMs());
}

// ---------------------------------------------------------------- bootstrap

TEST_F(AccessTest, BootstrapTokenIsAPlatformAdmin) {
  AccessOptions options = TestOptions();
  options.bootstrap_token = std::string(kBootstrapToken);
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  auto p = AuthBearer(*access, std::string(kBootstrapToken));
  ASSERT_TRUE(p) << ErrorOf(p);
  EXPECT_EQ(p->kind, Principal::Kind::kBootstrap);
  EXPECT_EQ(p->role, Role::kPlatformAdmin);
  EXPECT_EQ(p->Actor(), "bootstrap");
  EXPECT_EQ(Authorize(*p, Permission::kManageAccounts, "any-tenant"), Decision::kAllow);

  // It can set the platform up.
  NewAccount admin{"root-admin", Role::kPlatformAdmin, "default", std::string(kPassword)};
  EXPECT_TRUE(access->CreateAccount(*p, admin));
  EXPECT_TRUE(access->IssueToken(*p, {"root-admin", "", {}, {}}));
  // It has no account of its own to issue a token for, not even one that
  // bears its name (from before such names were reserved).
  EXPECT_EQ(CodeOf(access->IssueToken(*p, {"", "", {}, {}})), ErrorCode::kNotFound);
  ExecSql(DbPath(),
          "INSERT INTO accounts (tenant, login, role, password_hash, created_ms) VALUES "
          "('default', 'bootstrap', 'doctor', '', 0), ('default', 'operator', 'doctor', '', 0)");
  EXPECT_EQ(CodeOf(access->IssueToken(*p, {"", "", {}, {}})), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(access->IssueToken(OperatorPrincipal(), {"", "", {}, {}})),
            ErrorCode::kNotFound);
  auto tokens = access->ListTokens(OperatorPrincipal());
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->size(), 1u);

  for (const std::string& other :
       {std::string(kBootstrapToken) + "x", std::string(kBootstrapToken).substr(1),
        std::string("bootstrap-token-0123456789-abcdeF")}) {
    EXPECT_EQ(CodeOf(AuthBearer(*access, other)), ErrorCode::kUnauthenticated) << other;
  }
}

TEST_F(AccessTest, ShortBootstrapTokenIsRefusedAtOpen) {
  AccessOptions options = TestOptions();
  options.bootstrap_token = std::string(19, 'b');
  auto refused = Access::Open(DbPath(), options, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  // The message does not repeat the token.
  EXPECT_EQ(refused.error().message.find(options.bootstrap_token), std::string::npos);

  options.bootstrap_token = std::string(20, 'b');
  auto opened = Access::Open(DbPath(), options, nullptr);
  ASSERT_TRUE(opened) << ErrorOf(opened);
  EXPECT_TRUE(AuthBearer(**opened, std::string(20, 'b')));
}

TEST_F(AccessTest, WithoutBootstrapTokenNoBearerTextIsBootstrap) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  for (const std::string& text :
       {std::string(kBootstrapToken), std::string(20, 'b'), std::string(20, '\0'), std::string("x"),
        std::string(" "), std::string(43, 'A')}) {
    auto result = AuthBearer(*access, text);
    ASSERT_FALSE(result) << text;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << text;
  }
}

// ---------------------------------------------------------------- accounts

TEST_F(AccessTest, OperatorCreatesAnyAccount) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  const std::vector<std::pair<std::string, Role>> accounts = {
      {"padmin", Role::kPlatformAdmin}, {"hadmin", Role::kHospitalAdmin},
      {"tech", Role::kTechnologist},    {"doc", Role::kDoctor},
      {"kiosk1", Role::kKiosk},         {"aud", Role::kAuditor},
      {"gateway", Role::kApiClient},
  };
  int64_t last_id = 0;
  for (const auto& [login, role] : accounts) {
    const int64_t before = NowMs();
    const AccountInfo info = Create(*access, login, role, "h1");
    EXPECT_GT(info.id, last_id) << login;
    last_id = info.id;
    EXPECT_EQ(info.login, login);
    EXPECT_EQ(info.role, role);
    EXPECT_EQ(info.tenant, "h1");
    EXPECT_GE(info.created_ms, before);
    EXPECT_FALSE(info.disabled);
    EXPECT_FALSE(info.last_login_ms);
  }
  auto count = access->CountAccounts();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 7);
  auto listed = access->ListAccounts(OperatorPrincipal());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 7u);
  for (const AccountInfo& a : *listed) {
    const auto it = std::ranges::find(accounts, a.login, [](const auto& e) { return e.first; });
    ASSERT_NE(it, accounts.end()) << a.login;
    EXPECT_EQ(a.role, it->second) << a.login;
  }
}

TEST_F(AccessTest, HospitalAdminManagesOnlyItsTenant) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "admin1", Role::kHospitalAdmin, "h1");
  Create(*access, "doc2", Role::kDoctor, "h2");
  const Principal admin = SignIn(*access, "admin1");
  ASSERT_EQ(admin.kind, Principal::Kind::kSession);

  auto doctor = access->CreateAccount(admin, {"doc1", Role::kDoctor, "h1", std::string(kPassword)});
  ASSERT_TRUE(doctor) << ErrorOf(doctor);
  EXPECT_EQ(doctor->tenant, "h1");
  EXPECT_EQ(
      CodeOf(access->CreateAccount(admin, {"doc3", Role::kDoctor, "h2", std::string(kPassword)})),
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->CreateAccount(
                admin, {"root2", Role::kPlatformAdmin, "h1", std::string(kPassword)})),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->CreateAccount(
                admin, {"root3", Role::kPlatformAdmin, "default", std::string(kPassword)})),
            ErrorCode::kPermissionDenied);

  auto listed = access->ListAccounts(admin);
  ASSERT_TRUE(listed) << ErrorOf(listed);
  std::set<std::string> logins;
  for (const AccountInfo& a : *listed) {
    EXPECT_EQ(a.tenant, "h1") << a.login;
    logins.insert(a.login);
  }
  EXPECT_EQ(logins, (std::set<std::string>{"admin1", "doc1"}));
  auto everything = access->ListAccounts(OperatorPrincipal());
  ASSERT_TRUE(everything);
  EXPECT_EQ(everything->size(), 3u);

  // Tokens: for its tenant's accounts, not for others'.
  EXPECT_TRUE(access->IssueToken(admin, {"doc1", "", {}, {}}));
  EXPECT_EQ(CodeOf(access->IssueToken(admin, {"doc2", "", {}, {}})), ErrorCode::kPermissionDenied);
  const IssuedApiToken other_tenant = Issue(*access, OperatorPrincipal(), {"doc2", "", {}, {}});
  EXPECT_EQ(CodeOf(access->RevokeToken(admin, other_tenant.info.id)), ErrorCode::kNotFound);
  EXPECT_TRUE(AuthBearer(*access, other_tenant.text));
  auto tokens = access->ListTokens(admin);
  ASSERT_TRUE(tokens);
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ(tokens->front().login, "doc1");
  EXPECT_TRUE(access->RevokeToken(admin, tokens->front().id));
}

TEST_F(AccessTest, DoctorCannotManageAccounts) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "doc", Role::kDoctor, "h1");
  Create(*access, "doc1", Role::kDoctor, "h1");
  const Principal doctor = SignIn(*access, "doc");
  EXPECT_EQ(
      CodeOf(access->CreateAccount(doctor, {"doc9", Role::kDoctor, "h1", std::string(kPassword)})),
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->ListAccounts(doctor)), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->CreateAccount(
                Principal{}, {"doc9", Role::kDoctor, "default", std::string(kPassword)})),
            ErrorCode::kPermissionDenied);
  auto count = access->CountAccounts();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 2);
}

TEST_F(AccessTest, LoginsAreUniqueWhateverTheirCase) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "Alice", Role::kDoctor);
  for (const std::string login : {"alice", "ALICE", "Alice"}) {
    auto duplicate = access->CreateAccount(OperatorPrincipal(),
                                           {login, Role::kAuditor, "h2", std::string(kPassword)});
    ASSERT_FALSE(duplicate) << login;
    EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict) << login;
  }
  // The connection is still usable after the constraint failure.
  EXPECT_TRUE(access->CreateAccount(OperatorPrincipal(),
                                    {"bob", Role::kDoctor, "default", std::string(kPassword)}));
}

TEST_F(AccessTest, InvalidAccountsAreRefused) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  const std::string password(kPassword);
  for (const std::string& login : {std::string(), std::string("ab"), std::string(65, 'a'),
                                   std::string("has space"), std::string("semi;colon"),
                                   std::string("\xC3\xBC"
                                               "ber"),
                                   std::string("a/b/c")}) {
    auto result =
        access->CreateAccount(OperatorPrincipal(), {login, Role::kDoctor, "default", password});
    ASSERT_FALSE(result) << login;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << login;
  }
  for (const std::string& tenant :
       {std::string(), std::string("H1"), std::string("h 1"), std::string("a/b"),
        std::string(33, 'h'), std::string("1h"), std::string("h_1")}) {
    auto result =
        access->CreateAccount(OperatorPrincipal(), {"someone", Role::kDoctor, tenant, password});
    ASSERT_FALSE(result) << tenant;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << tenant;
  }
  for (const std::string& weak :
       {std::string(), std::string("short"), std::string(9, 'p'), std::string(1025, 'p')}) {
    auto result =
        access->CreateAccount(OperatorPrincipal(), {"someone", Role::kDoctor, "default", weak});
    ASSERT_FALSE(result) << weak.size();
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << weak.size();
  }
  // The names the audit trail gives to principals without an account.
  for (const std::string reserved : {"operator", "bootstrap", "anonymous", "Operator"}) {
    auto result =
        access->CreateAccount(OperatorPrincipal(), {reserved, Role::kDoctor, "default", password});
    ASSERT_FALSE(result) << reserved;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << reserved;
  }
  auto count = access->CountAccounts();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
  // The limits themselves are fine.
  EXPECT_TRUE(access->CreateAccount(OperatorPrincipal(),
                                    {"abc", Role::kDoctor, "h", std::string(10, 'p')}));
  EXPECT_TRUE(access->CreateAccount(
      OperatorPrincipal(), {std::string(64, 'z'), Role::kDoctor, std::string(32, 'h'), password}));
  EXPECT_TRUE(
      access->CreateAccount(OperatorPrincipal(), {"a.b_c@d-e", Role::kDoctor, "h-1x", password}));
}

// With hospitals configured, accounts and break-glass grants may name only
// those (and default): a typo must not create a hospital nobody sees.
TEST_F(AccessTest, OnlyConfiguredHospitalsCanBeNamed) {
  AccessOptions options = TestOptions();
  options.tenants = {"ruijin", "huashan"};
  auto access = OpenAccess(std::move(options));
  ASSERT_TRUE(access);
  EXPECT_TRUE(access->KnownTenant("ruijin"));
  EXPECT_TRUE(access->KnownTenant("default"));
  EXPECT_FALSE(access->KnownTenant("ruijn"));
  EXPECT_FALSE(access->KnownTenant(""));
  auto typo = access->CreateAccount(OperatorPrincipal(),
                                    {"doc", Role::kDoctor, "ruijn", std::string(kPassword)});
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, ErrorCode::kInvalidArgument);
  Create(*access, "doc", Role::kDoctor, "ruijin");
  const Principal doctor = SignIn(*access, "doc");
  const ClientInfo client{"127.0.0.1", "test"};
  auto unknown = access->BreakGlass(doctor, "ruijn", "patient in resus, no records",
                                    std::chrono::minutes(10), client);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(access->BreakGlass(doctor, "huashan", "patient in resus, no records",
                                 std::chrono::minutes(10), client));
}

TEST_F(AccessTest, DoctorIssuesTokensForItselfOnly) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "doc", Role::kDoctor, "h1");
  Create(*access, "doc1", Role::kDoctor, "h1");
  const Principal doctor = SignIn(*access, "doc");

  auto own = access->IssueToken(doctor, {"", "laptop", {}, {}});
  ASSERT_TRUE(own) << ErrorOf(own);
  EXPECT_EQ(own->info.login, "doc");
  EXPECT_EQ(own->info.scopes,
            (std::vector<Permission>{Permission::kReadImages, Permission::kWriteReports,
                                     Permission::kShareFilms}));
  auto named = access->IssueToken(doctor, {"doc", "", {}, {}});
  EXPECT_TRUE(named) << ErrorOf(named);
  EXPECT_EQ(CodeOf(access->IssueToken(doctor, {"doc1", "", {}, {}})), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access->IssueToken(Principal{}, {"doc", "", {}, {}})),
            ErrorCode::kPermissionDenied);

  // Someone else's token: as unknown as one that does not exist.
  const IssuedApiToken others = Issue(*access, OperatorPrincipal(), {"doc1", "", {}, {}});
  auto foreign = access->RevokeToken(doctor, others.info.id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  auto missing = access->RevokeToken(doctor, "00000000000000ff");
  ASSERT_FALSE(missing);
  EXPECT_EQ(foreign.error().message, missing.error().message);
  EXPECT_TRUE(AuthBearer(*access, others.text));
  EXPECT_FALSE(FindToken(*access, others.info.id)->revoked_ms);

  // Its list holds its own tokens only; it revokes its own.
  auto tokens = access->ListTokens(doctor);
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->size(), 2u);
  for (const TokenInfo& t : *tokens) EXPECT_EQ(t.login, "doc");
  EXPECT_TRUE(access->RevokeToken(doctor, own->info.id));
  EXPECT_EQ(CodeOf(AuthBearer(*access, own->text)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(access->ListTokens(Principal{})), ErrorCode::kUnauthenticated);
}

// ---------------------------------------------------------------- persistence

TEST_F(AccessTest, StateSurvivesReopening) {
  std::string cookie, csrf, token, revoked_token;
  int64_t alice_id = 0;
  {
    auto access = OpenAccess();
    ASSERT_TRUE(access);
    alice_id = Create(*access, "alice", Role::kTechnologist, "h1").id;
    auto session = access->Login("alice", kPassword, kClient);
    ASSERT_TRUE(session);
    cookie = session->cookie;
    csrf = session->csrf;
    token = Issue(*access, OperatorPrincipal(), {"alice", "kept", {}, {}}).text;
    const IssuedApiToken revoked = Issue(*access, OperatorPrincipal(), {"alice", "gone", {}, {}});
    revoked_token = revoked.text;
    ASSERT_TRUE(access->RevokeToken(OperatorPrincipal(), revoked.info.id));
  }
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  auto count = access->CountAccounts();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1);
  const auto alice = FindAccount(*access, "alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->id, alice_id);
  EXPECT_EQ(alice->role, Role::kTechnologist);
  EXPECT_EQ(alice->tenant, "h1");

  auto by_session = access->Authenticate(Cookie(cookie, true, csrf));
  ASSERT_TRUE(by_session) << ErrorOf(by_session);
  EXPECT_EQ(by_session->login, "alice");
  auto by_token = AuthBearer(*access, token);
  ASSERT_TRUE(by_token) << ErrorOf(by_token);
  EXPECT_EQ(by_token->account_id, alice_id);
  EXPECT_EQ(CodeOf(AuthBearer(*access, revoked_token)), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(access->Login("alice", kPassword, kClient));
  auto tokens = access->ListTokens(OperatorPrincipal());
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->size(), 2u);
}

// ---------------------------------------------------------------- concurrency

TEST_F(AccessTest, ConcurrentAuthenticationOfOneToken) {
  auto access = OpenAccess();
  ASSERT_TRUE(access);
  Create(*access, "gateway", Role::kApiClient);
  const IssuedApiToken issued = Issue(*access, OperatorPrincipal(), {"gateway", "", {}, {}});
  const std::string header = "Bearer " + issued.text;

  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  std::atomic<int> ok{0};
  std::atomic<int> wrong{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      Credentials c;
      c.authorization = header;
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        auto p = access->Authenticate(c);
        if (p && p->kind == Principal::Kind::kApiToken && p->login == "gateway" &&
            p->token_id == issued.info.id) {
          ++ok;
        } else {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kRounds);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace cf::access

namespace cf::access {
namespace {

class CredentialFailureTest : public AccessTest {};

TEST_F(CredentialFailureTest, RefusedCredentialsFromOneAddressAreThrottled) {
  AccessOptions options = TestOptions();
  options.credential_failures_per_minute = 3;
  options.bootstrap_token = "a bootstrap token of enough length";
  auto access = OpenAccess(options);
  ASSERT_TRUE(access);
  BearerCredentials wrong("Bearer not-the-token-but-long-enough");
  wrong.credentials.source = "192.0.2.7";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CodeOf(access->Authenticate(wrong.credentials)), ErrorCode::kUnauthenticated) << i;
  }
  // Now even the right token from that address waits.
  BearerCredentials right("Bearer a bootstrap token of enough length");
  right.credentials.source = "192.0.2.7";
  const auto limited = access->Authenticate(right.credentials);
  ASSERT_EQ(CodeOf(limited), ErrorCode::kRateLimited);
  EXPECT_GT(RetrySeconds(limited.error().message), 0);
  // Another address is not affected, and successes do not count.
  right.credentials.source = "192.0.2.8";
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(access->Authenticate(right.credentials)) << i;
}

}  // namespace
}  // namespace cf::access
