// SPDX-License-Identifier: Apache-2.0
// Patient shares as a hospital, a patient, a doctor and an attacker meet
// them: only a hash of the token is stored; the right factor opens a share
// session that reads the share's studies; wrong ones count and lock; start,
// expiry and revocation end it; one-time codes are single use; the patient's
// doctor shares never outlive the patient's share. The shares' clock is a
// test clock.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "access/access.hpp"
#include "access/policy.hpp"
#include "access_test_support.hpp"
#include "crypto/sha256.hpp"
#include "support/temp_dir.hpp"

namespace cf::access {
namespace {

using namespace std::chrono_literals;
using test::CodeOf;
using test::Cookie;
using test::ErrorOf;
using test::ReasonOf;

const ClientInfo kClient{"192.0.2.20", "unit-test/1.0"};
constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kDayMs = 86'400'000;

Principal Staff(std::string tenant = "h1", Role role = Role::kDoctor) {
  Principal p;
  p.kind = Principal::Kind::kSession;
  p.account_id = 7;
  p.login = "dr.li";
  p.role = role;
  p.tenant = std::move(tenant);
  return p;
}

class AccessShareTest : public ::testing::Test {
 protected:
  AccessOptions Options() {
    AccessOptions options = test::TestOptions();
    options.share_max_failures = 3;
    options.share_lockout = 15min;
    options.share_clock = [now = now_] {
      return std::chrono::system_clock::time_point(std::chrono::milliseconds(now->load()));
    };
    options.share_notifier = [notices = notices_](const ShareNotice& notice) -> Result<void> {
      notices->push_back(notice);
      return {};
    };
    return options;
  }

  void SetUp() override {
    auto opened = Access::Open(dir_.Path() / "access.sqlite", Options(), nullptr);
    ASSERT_TRUE(opened) << ErrorOf(opened);
    access_ = std::move(*opened);
  }

  NewShare FilmShare(ShareFactor factor = ShareFactor::kBirthDate) const {
    NewShare share;
    share.tenant = "h1";
    share.film_id = "film-1";
    share.study_uids = {"1.2.3"};
    share.factor = factor;
    share.factor_value = factor == ShareFactor::kBirthDate ? "19800102" : "13800138000";
    share.recipient = "+86 138 0013 8000";
    share.expires_ms = now_->load() + 30 * kDayMs;
    return share;
  }

  IssuedShare Create(const NewShare& share) {
    auto issued = access_->CreateShare(Staff(), share);
    EXPECT_TRUE(issued) << ErrorOf(issued);
    return issued ? *issued : IssuedShare{};
  }

  void Advance(std::chrono::milliseconds by) { *now_ += by.count(); }

  cf::testing::TempDir dir_;
  std::shared_ptr<std::atomic<int64_t>> now_ = std::make_shared<std::atomic<int64_t>>(kStartMs);
  std::shared_ptr<std::vector<ShareNotice>> notices_ = std::make_shared<std::vector<ShareNotice>>();
  std::unique_ptr<Access> access_;
};

TEST_F(AccessShareTest, RightFactorOpensASessionThatReadsTheShareOnly) {
  const IssuedShare issued = Create(FilmShare());
  EXPECT_EQ(issued.token.size(), 22u);  // 128 bits, base64url
  auto session = access_->OpenShare(issued.token, "1980-01-02", kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  EXPECT_TRUE(session->token.starts_with("cfp_"));
  EXPECT_EQ(session->share.first_opened_ms, kStartMs);

  auto principal = access_->Authenticate(Cookie(session->token));
  ASSERT_TRUE(principal) << ErrorOf(principal);
  EXPECT_EQ(principal->kind, Principal::Kind::kShare);
  EXPECT_EQ(principal->tenant, "h1");
  EXPECT_EQ(principal->login, "share:" + issued.info.id);
  EXPECT_EQ(principal->share_studies, std::vector<std::string>{"1.2.3"});
  EXPECT_TRUE(principal->share_owner);
  // The same session as a bearer, for scripts.
  Credentials bearer;
  const std::string header = "Bearer " + session->token;
  bearer.authorization = header;
  EXPECT_TRUE(access_->Authenticate(bearer));
  // A cookie's state-changing request needs the CSRF token.
  EXPECT_EQ(CodeOf(access_->Authenticate(Cookie(session->token, true))),
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(access_->Authenticate(Cookie(session->token, true, session->csrf)));
  // Signing out ends the share's sessions server-side.
  ASSERT_TRUE(access_->Logout(*principal));
  EXPECT_EQ(ErrorOf(access_->Authenticate(Cookie(session->token))),
            "unauthenticated: share session ended; open the share again");

  // What a share may do: read its hospital's images (narrowed to its
  // studies by the scope), manage its doctor shares; nothing else.
  EXPECT_EQ(Authorize(*principal, Permission::kReadImages, "h1"), Decision::kAllow);
  EXPECT_EQ(Authorize(*principal, Permission::kOwnShares, "h1"), Decision::kAllow);
  EXPECT_EQ(Authorize(*principal, Permission::kReadImages, "h2"), Decision::kForbidden);
  for (const Permission p :
       {Permission::kStoreImages, Permission::kWriteReports, Permission::kReadSystem,
        Permission::kManageAccounts, Permission::kReadAudit, Permission::kShareFilms,
        Permission::kAuthenticated, Permission::kSecondFactor}) {
    EXPECT_EQ(Authorize(*principal, p, "h1"), Decision::kForbidden) << PermissionName(p);
  }
}

TEST_F(AccessShareTest, APatientShareTakesInLaterExamsAndAFilmShareDoesNot) {
  NewShare patient = FilmShare();
  patient.scope = ShareScope::kPatient;
  patient.study_uids = {"1.2.3", "1.2.4"};
  const IssuedShare issued = Create(patient);
  auto session = access_->OpenShare(issued.token, "19800102", kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  auto extended = access_->ExtendPatientShare(issued.info.id, {"1.2.5", "1.2.3"});
  ASSERT_TRUE(extended) << ErrorOf(extended);
  const std::vector<std::string> all{"1.2.3", "1.2.4", "1.2.5"};
  EXPECT_EQ(*extended, all);
  // The open session sees the new exam at once; nothing is ever dropped.
  auto principal = access_->Authenticate(Cookie(session->token));
  ASSERT_TRUE(principal) << ErrorOf(principal);
  EXPECT_EQ(principal->share_studies, all);
  EXPECT_EQ(*access_->ExtendPatientShare(issued.info.id, {"1.2.3"}), all);

  const IssuedShare film = Create(FilmShare());
  EXPECT_EQ(CodeOf(access_->ExtendPatientShare(film.info.id, {"1.2.9"})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(access_->ExtendPatientShare("0123456789abcdef", {"1.2.9"})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(access_->ExtendPatientShare(issued.info.id, {"1.2.x"})),
            ErrorCode::kInvalidArgument);
}

TEST_F(AccessShareTest, OnlyAHashOfTheTokenIsStored) {
  const IssuedShare issued = Create(FilmShare());
  access_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.Path() / "access.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT token_hash, factor_hash FROM shares", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const std::string token_hash(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  const std::string factor_hash(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(token_hash, crypto::ToHex(crypto::Sha256(AsBytes(issued.token))));
  EXPECT_TRUE(factor_hash.starts_with("$argon2id$")) << "the birth date is hashed";
  EXPECT_EQ(factor_hash.find("19800102"), std::string::npos);
}

TEST_F(AccessShareTest, UnknownOrAlteredTokensAreRefused) {
  const IssuedShare issued = Create(FilmShare());
  std::string altered = issued.token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  for (const std::string& token : {altered, std::string("short"), std::string()}) {
    auto opened = access_->OpenShare(token, "19800102", kClient);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(opened.error().message, "unknown share link");
    EXPECT_EQ(opened.error().reason, "share-unknown");
  }
}

TEST_F(AccessShareTest, WrongFactorsCountThenLockTheShare) {
  const IssuedShare issued = Create(FilmShare());
  auto first = access_->OpenShare(issued.token, "19800103", kClient);
  EXPECT_EQ(ErrorOf(first), "unauthenticated: wrong birth-date; 2 attempts left");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().reason, "wrong-factor");
  EXPECT_EQ(first.error().attempts_left, 2);
  EXPECT_EQ(first.error().retry_after_s, -1);
  auto malformed = access_->OpenShare(issued.token, "not a date", kClient);
  EXPECT_EQ(ErrorOf(malformed), "unauthenticated: wrong birth-date; 1 attempts left");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().attempts_left, 1);
  auto third = access_->OpenShare(issued.token, "19790102", kClient);
  EXPECT_EQ(ErrorOf(third),
            "rate-limited: wrong birth-date; this share is now locked; retry in 900 s");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().reason, "share-locked");
  EXPECT_EQ(third.error().retry_after_s, 900);
  EXPECT_EQ(third.error().attempts_left, -1);
  // Locked: even the right answer waits.
  auto locked = access_->OpenShare(issued.token, "19800102", kClient);
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);
  EXPECT_NE(locked.error().message.find("retry in 900 s"), std::string::npos);
  EXPECT_EQ(locked.error().reason, "share-locked");
  EXPECT_EQ(locked.error().retry_after_s, 900);
  Advance(15min);
  auto opened = access_->OpenShare(issued.token, "19800102", kClient);
  ASSERT_TRUE(opened) << ErrorOf(opened);
  EXPECT_EQ(opened->share.failed_attempts, 0);
}

// A kiosk opens a slip for its own hospital only: another hospital's slip
// is refused before its factor is read and costs no attempt. Leaving the
// kiosk ends that one session, not the patient's phone's.
TEST_F(AccessShareTest, AKioskOpensOnlyItsHospitalsSlipsAndEndsOnlyItsOwnSession) {
  const IssuedShare issued = Create(FilmShare());
  auto other = access_->OpenShare(issued.token, "19800102", kClient, "h2");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(other.error().reason, "other-hospital");
  auto wrong = access_->OpenShare(issued.token, "19800103", kClient, "h1");
  EXPECT_EQ(ErrorOf(wrong), "unauthenticated: wrong birth-date; 2 attempts left")
      << "the other hospital's try counted no attempt";
  auto phone = access_->OpenShare(issued.token, "19800102", kClient);
  ASSERT_TRUE(phone) << ErrorOf(phone);
  auto kiosk = access_->OpenShare(issued.token, "19800102", kClient, "h1");
  ASSERT_TRUE(kiosk) << ErrorOf(kiosk);

  auto matches = access_->ShareTokenMatches(issued.info.id, issued.token);
  ASSERT_TRUE(matches);
  EXPECT_TRUE(*matches);
  const IssuedShare another = Create([&] {
    NewShare share = FilmShare();
    share.film_id = "film-2";
    return share;
  }());
  EXPECT_FALSE(*access_->ShareTokenMatches(issued.info.id, another.token));
  EXPECT_FALSE(*access_->ShareTokenMatches(issued.info.id, "not a token"));

  ASSERT_TRUE(access_->EndShareSession(kiosk->token));
  EXPECT_FALSE(access_->Authenticate(Cookie(kiosk->token)));
  EXPECT_TRUE(access_->Authenticate(Cookie(phone->token))) << "the phone's session goes on";
  EXPECT_EQ(CodeOf(access_->EndShareSession(kiosk->token)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(access_->EndShareSession("cft_x_y")), ErrorCode::kUnauthenticated);
}

// A kiosk that found the patient's share by the visit number opens it by
// id: its own hospital's only (another's is as unknown as a wrong token),
// with the same attempts and lockout as the token, and the one-time code
// sent by id.
TEST_F(AccessShareTest, AKioskOpensItsHospitalsShareByIdWithTheSameAttempts) {
  const IssuedShare issued = Create(FilmShare());
  EXPECT_EQ(ErrorOf(access_->OpenShareById(issued.info.id, "19800102", kClient, "h2")),
            "unauthenticated: unknown share link");
  EXPECT_EQ(ErrorOf(access_->OpenShareById("no-such-id", "19800102", kClient, "h1")),
            "unauthenticated: unknown share link");
  EXPECT_EQ(ErrorOf(access_->OpenShareById(issued.info.id, "19800103", kClient, "h1")),
            "unauthenticated: wrong birth-date; 2 attempts left");
  // The token and the id count the same attempts.
  EXPECT_EQ(ErrorOf(access_->OpenShare(issued.token, "19800104", kClient)),
            "unauthenticated: wrong birth-date; 1 attempts left");
  EXPECT_EQ(CodeOf(access_->OpenShareById(issued.info.id, "19800105", kClient, "h1")),
            ErrorCode::kRateLimited);
  EXPECT_EQ(CodeOf(access_->OpenShareById(issued.info.id, "19800102", kClient, "h1")),
            ErrorCode::kRateLimited)
      << "locked: even the right answer waits";
  Advance(15min);
  auto opened = access_->OpenShareById(issued.info.id, "1980-01-02", kClient, "h1");
  ASSERT_TRUE(opened) << ErrorOf(opened);
  auto principal = access_->Authenticate(Cookie(opened->token));
  ASSERT_TRUE(principal) << ErrorOf(principal);
  EXPECT_EQ(principal->share_studies, std::vector<std::string>{"1.2.3"});
  EXPECT_EQ(CodeOf(access_->OpenShareById(issued.info.id, "19800102", kClient, "")),
            ErrorCode::kInternal)
      << "never without the kiosk's hospital";

  NewShare coded = FilmShare(ShareFactor::kOneTimeCode);
  coded.film_id = "film-2";
  const IssuedShare code_share = Create(coded);
  EXPECT_EQ(CodeOf(access_->SendShareCodeById(code_share.info.id, kClient, "h2")),
            ErrorCode::kUnauthenticated);
  EXPECT_TRUE(notices_->empty() || notices_->back().kind != ShareNotice::Kind::kOneTimeCode);
  ASSERT_TRUE(access_->SendShareCodeById(code_share.info.id, kClient, "h1"));
  ASSERT_EQ(notices_->back().kind, ShareNotice::Kind::kOneTimeCode);
  EXPECT_TRUE(access_->OpenShareById(code_share.info.id, notices_->back().text, kClient, "h1"));
}

// The page at /s/{token} asks first which factor to show and whether the
// link opens at all; asking costs no attempt.
TEST_F(AccessShareTest, StatusTellsTheFactorAndStateWithoutCountingAnAttempt) {
  NewShare share = FilmShare(ShareFactor::kPhoneLast4);
  share.not_before_ms = kStartMs + kDayMs;
  share.expires_ms = kStartMs + 3 * kDayMs;
  const IssuedShare issued = Create(share);
  auto status = access_->ShareStatusOf(issued.token, kClient);
  ASSERT_TRUE(status) << ErrorOf(status);
  EXPECT_EQ(status->factor, ShareFactor::kPhoneLast4);
  EXPECT_EQ(status->state, ShareState::kNotYet);
  EXPECT_EQ(status->expires_ms, share.expires_ms);
  EXPECT_FALSE(status->doctor);
  Advance(std::chrono::milliseconds(kDayMs));
  for (int i = 0; i < 5; ++i) {
    status = access_->ShareStatusOf(issued.token, kClient);
    ASSERT_TRUE(status) << ErrorOf(status);
    EXPECT_EQ(status->state, ShareState::kOpen);
    EXPECT_EQ(status->attempts_left, 3);  // asking is not answering
  }
  EXPECT_EQ(ErrorOf(access_->OpenShare(issued.token, "0000", kClient)),
            "unauthenticated: wrong phone-last4; 2 attempts left");
  EXPECT_EQ(access_->ShareStatusOf(issued.token, kClient)->attempts_left, 2);
  (void)access_->OpenShare(issued.token, "0001", kClient);
  (void)access_->OpenShare(issued.token, "0002", kClient);
  status = access_->ShareStatusOf(issued.token, kClient);
  ASSERT_TRUE(status) << ErrorOf(status);
  EXPECT_EQ(ShareStateName(status->state), "locked");
  EXPECT_EQ(status->retry_after_s, 900);
  EXPECT_EQ(status->attempts_left, 0);
  Advance(10min);
  EXPECT_EQ(access_->ShareStatusOf(issued.token, kClient)->retry_after_s, 300);
  Advance(std::chrono::milliseconds(2 * kDayMs));
  EXPECT_EQ(access_->ShareStatusOf(issued.token, kClient)->state, ShareState::kExpired);

  const IssuedShare other = Create(FilmShare());
  ASSERT_TRUE(access_->RevokeShare(Staff(), other.info.id));
  status = access_->ShareStatusOf(other.token, kClient);
  ASSERT_TRUE(status) << ErrorOf(status);
  EXPECT_EQ(status->state, ShareState::kRevoked);
  EXPECT_EQ(status->factor, ShareFactor::kBirthDate);

  std::string altered = other.token;
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ErrorOf(access_->ShareStatusOf(altered, kClient)),
            "unauthenticated: unknown share link");
}

TEST_F(AccessShareTest, NotBeforeExpiryAndRevocation) {
  NewShare share = FilmShare();
  share.not_before_ms = kStartMs + kDayMs;
  share.expires_ms = kStartMs + 2 * kDayMs;
  const IssuedShare issued = Create(share);
  EXPECT_EQ(ErrorOf(access_->OpenShare(issued.token, "19800102", kClient)),
            "unauthenticated: this share is not valid yet");
  EXPECT_EQ(ReasonOf(access_->OpenShare(issued.token, "19800102", kClient)), "share-not-yet-valid");
  Advance(std::chrono::milliseconds(kDayMs));
  auto session = access_->OpenShare(issued.token, "19800102", kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  EXPECT_EQ(session->expires_ms, kStartMs + kDayMs + 2 * 3'600'000);  // share_session_max
  EXPECT_TRUE(access_->Authenticate(Cookie(session->token)));
  Advance(std::chrono::milliseconds(kDayMs));
  EXPECT_EQ(ErrorOf(access_->Authenticate(Cookie(session->token))),
            "unauthenticated: share session ended; open the share again");
  EXPECT_EQ(ErrorOf(access_->OpenShare(issued.token, "19800102", kClient)),
            "unauthenticated: this share has expired");
  EXPECT_EQ(ReasonOf(access_->OpenShare(issued.token, "19800102", kClient)), "share-expired");

  // Revocation ends the share and its sessions at once.
  const IssuedShare other = Create(FilmShare());
  auto live = access_->OpenShare(other.token, "19800102", kClient);
  ASSERT_TRUE(live) << ErrorOf(live);
  // Another hospital's staff cannot even see it.
  EXPECT_EQ(CodeOf(access_->RevokeShare(Staff("h2"), other.info.id)), ErrorCode::kNotFound);
  ASSERT_TRUE(access_->RevokeShare(Staff(), other.info.id));
  EXPECT_EQ(CodeOf(access_->Authenticate(Cookie(live->token))), ErrorCode::kUnauthenticated);
  EXPECT_EQ(ErrorOf(access_->OpenShare(other.token, "19800102", kClient)),
            "unauthenticated: this share was revoked");
  EXPECT_EQ(ReasonOf(access_->OpenShare(other.token, "19800102", kClient)), "share-revoked");
}

TEST_F(AccessShareTest, ANewPatientShareRevokesTheFilmsPreviousOne) {
  const IssuedShare old_share = Create(FilmShare());
  const IssuedShare new_share = Create(FilmShare());
  EXPECT_EQ(ErrorOf(access_->OpenShare(old_share.token, "19800102", kClient)),
            "unauthenticated: this share was revoked");
  EXPECT_TRUE(access_->OpenShare(new_share.token, "19800102", kClient));
  auto listed = access_->ListShares(Staff(), "h1", "film-1");
  ASSERT_TRUE(listed) << ErrorOf(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].revoked_ms.has_value() + (*listed)[1].revoked_ms.has_value(), 1);
  EXPECT_EQ(CodeOf(access_->ListShares(Staff("h1", Role::kAuditor), "h1", "film-1")),
            ErrorCode::kPermissionDenied);
}

TEST_F(AccessShareTest, PhoneAndIdDigitsAreTheLastFour) {
  NewShare share = FilmShare(ShareFactor::kPhoneLast4);
  const IssuedShare issued = Create(share);
  EXPECT_EQ(CodeOf(access_->OpenShare(issued.token, "8001", kClient)), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(access_->OpenShare(issued.token, "8000", kClient));
  EXPECT_EQ(NormalizeFactor(ShareFactor::kIdLast4, "11010519491231002x"), "002X");
  EXPECT_EQ(NormalizeFactor(ShareFactor::kBirthDate, "1980-13-02"), std::nullopt);
  EXPECT_EQ(NormalizeFactor(ShareFactor::kPhoneLast4, "12a4"), std::nullopt);
  EXPECT_EQ(NormalizeFactor(ShareFactor::kOneTimeCode, "012345"), "012345");
}

TEST_F(AccessShareTest, OneTimeCodesAreSentExpireAndWorkOnce) {
  const IssuedShare issued = Create(FilmShare(ShareFactor::kOneTimeCode));
  EXPECT_EQ(ErrorOf(access_->OpenShare(issued.token, "123456", kClient)),
            "unauthenticated: wrong one-time-code; 2 attempts left");
  ASSERT_TRUE(access_->SendShareCode(issued.token, kClient));
  ASSERT_EQ(notices_->size(), 1u);
  const ShareNotice notice = notices_->back();
  EXPECT_EQ(notice.kind, ShareNotice::Kind::kOneTimeCode);
  EXPECT_EQ(notice.recipient, "+86 138 0013 8000");
  EXPECT_EQ(notice.share_id, issued.info.id);
  ASSERT_EQ(notice.text.size(), 6u);
  auto opened = access_->OpenShare(issued.token, notice.text, kClient);
  ASSERT_TRUE(opened) << ErrorOf(opened);
  // Single use.
  EXPECT_EQ(CodeOf(access_->OpenShare(issued.token, notice.text, kClient)),
            ErrorCode::kUnauthenticated);
  // A fresh code expires after 5 minutes.
  ASSERT_TRUE(access_->SendShareCode(issued.token, kClient));
  Advance(5min + 1s);
  EXPECT_EQ(CodeOf(access_->OpenShare(issued.token, notices_->back().text, kClient)),
            ErrorCode::kUnauthenticated);
  // Codes are for one-time-code shares only.
  const IssuedShare birth = Create(FilmShare());
  EXPECT_EQ(ErrorOf(access_->SendShareCode(birth.token, kClient)),
            "invalid-argument: this share does not use one-time codes");
}

TEST_F(AccessShareTest, OneTimeCodesNeedANotifier) {
  AccessOptions options = Options();
  options.share_notifier = nullptr;
  options.share_factors = {{"h1", ShareFactor::kOneTimeCode}};
  auto refused = Access::Open(dir_.Path() / "other.sqlite", options, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("tenants.h1.share_factor"), std::string::npos);
  options.share_factors.clear();
  auto opened = Access::Open(dir_.Path() / "other.sqlite", options, nullptr);
  ASSERT_TRUE(opened) << ErrorOf(opened);
  EXPECT_EQ(CodeOf((*opened)->CreateShare(Staff(), FilmShare(ShareFactor::kOneTimeCode))),
            ErrorCode::kUnsupported);
  EXPECT_EQ((*opened)->ShareFactorOf("h1"), ShareFactor::kBirthDate);
}

TEST_F(AccessShareTest, DoctorSharesComeFromThePatientAndNeverOutliveIt) {
  NewShare share = FilmShare();
  share.expires_ms = kStartMs + 2 * kDayMs;
  const IssuedShare patient_share = Create(share);
  auto session = access_->OpenShare(patient_share.token, "19800102", kClient);
  ASSERT_TRUE(session) << ErrorOf(session);
  auto patient = access_->Authenticate(Cookie(session->token));
  ASSERT_TRUE(patient) << ErrorOf(patient);

  EXPECT_EQ(CodeOf(access_->CreateDoctorShare(Staff(), ShareFactor::kNone, "", 1h, "")),
            ErrorCode::kPermissionDenied);
  auto doctor = access_->CreateDoctorShare(*patient, ShareFactor::kNone, "", 24h * 30, "");
  ASSERT_TRUE(doctor) << ErrorOf(doctor);
  EXPECT_EQ(doctor->info.expires_ms, share.expires_ms) << "capped by the patient's share";
  EXPECT_EQ(doctor->info.parent, patient_share.info.id);
  EXPECT_EQ(doctor->info.study_uids, std::vector<std::string>{"1.2.3"});

  notices_->clear();
  auto opened = access_->OpenShare(doctor->token, "", kClient);
  ASSERT_TRUE(opened) << ErrorOf(opened);
  ASSERT_EQ(notices_->size(), 1u) << "the patient hears that someone else opened it";
  EXPECT_EQ(notices_->back().kind, ShareNotice::Kind::kOpenedByOther);
  EXPECT_EQ(notices_->back().recipient, "+86 138 0013 8000");
  auto guest = access_->Authenticate(Cookie(opened->token));
  ASSERT_TRUE(guest) << ErrorOf(guest);
  EXPECT_FALSE(guest->share_owner);
  EXPECT_EQ(Authorize(*guest, Permission::kOwnShares, "h1"), Decision::kForbidden);
  EXPECT_EQ(CodeOf(access_->CreateDoctorShare(*guest, ShareFactor::kNone, "", 1h, "")),
            ErrorCode::kPermissionDenied);

  auto listed = access_->ListDoctorShares(*patient);
  ASSERT_TRUE(listed) << ErrorOf(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].first_opened_ms, kStartMs);

  // The patient revokes it; revoking the patient's share would too.
  ASSERT_TRUE(access_->RevokeShare(*patient, doctor->info.id));
  EXPECT_EQ(CodeOf(access_->Authenticate(Cookie(opened->token))), ErrorCode::kUnauthenticated);
  auto second = access_->CreateDoctorShare(*patient, ShareFactor::kNone, "", 1h, "");
  ASSERT_TRUE(second) << ErrorOf(second);
  ASSERT_TRUE(access_->RevokeShare(Staff(), patient_share.info.id));
  EXPECT_EQ(ErrorOf(access_->OpenShare(second->token, "", kClient)),
            "unauthenticated: this share was revoked");
}

TEST_F(AccessShareTest, AFilmOpenedByHospitalStaffNotifiesThePatientHourly) {
  const IssuedShare issued = Create(FilmShare());
  notices_->clear();
  access_->NoticeFilmOpened("h1", "film-1", Staff());
  ASSERT_EQ(notices_->size(), 1u);
  EXPECT_EQ(notices_->back().kind, ShareNotice::Kind::kOpenedByOther);
  EXPECT_EQ(notices_->back().share_id, issued.info.id);
  EXPECT_EQ(notices_->back().recipient, "+86 138 0013 8000");
  EXPECT_EQ(notices_->back().text, "your film was opened by dr.li (doctor)");
  access_->NoticeFilmOpened("h1", "film-1", Staff());
  EXPECT_EQ(notices_->size(), 1u) << "once an hour per reader";
  Advance(1h);
  access_->NoticeFilmOpened("h1", "film-1", Staff());
  EXPECT_EQ(notices_->size(), 2u);
  // Another hospital's film of the same id, or a revoked share: nobody to tell.
  access_->NoticeFilmOpened("h2", "film-1", Staff("h2"));
  ASSERT_TRUE(access_->RevokeShare(Staff(), issued.info.id));
  Advance(1h);
  access_->NoticeFilmOpened("h1", "film-1", Staff());
  EXPECT_EQ(notices_->size(), 2u);
}

TEST_F(AccessShareTest, SearchFindsAHospitalsSharesByExamFilmAndState) {
  NewShare a = FilmShare();
  a.film_id = "film-a";
  a.study_uids = {"1.2.3", "1.2.30"};
  const IssuedShare share_a = Create(a);
  Advance(1s);
  NewShare b = FilmShare();
  b.film_id = "film-b";
  b.study_uids = {"1.2.33"};
  b.expires_ms = now_->load() + kDayMs;
  const IssuedShare share_b = Create(b);
  Advance(1s);
  NewShare c = FilmShare();
  c.film_id = "film-c";
  c.study_uids = {"1.2.4"};
  const IssuedShare share_c = Create(c);
  ASSERT_TRUE(access_->RevokeShare(Staff(), share_c.info.id));
  Advance(std::chrono::milliseconds(2 * kDayMs));  // b expires

  const auto ids = [&](ShareFilter filter) {
    filter.tenant = filter.tenant.empty() ? "h1" : filter.tenant;
    auto found = access_->SearchShares(Staff("h1", Role::kHospitalAdmin), filter);
    EXPECT_TRUE(found) << ErrorOf(found);
    std::vector<std::string> out;
    if (found) {
      for (const auto& s : *found) out.push_back(s.id);
    }
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids({}), (Ids{share_c.info.id, share_b.info.id, share_a.info.id}));  // newest first
  // A whole UID, never a prefix: 1.2.3 is in a only, not in b (1.2.33).
  EXPECT_EQ(ids({.study_uid = "1.2.3"}), Ids{share_a.info.id});
  EXPECT_EQ(ids({.study_uid = "1.2.30"}), Ids{share_a.info.id});
  EXPECT_EQ(ids({.film_id = "film-b"}), Ids{share_b.info.id});
  EXPECT_EQ(ids({.state = "live"}), Ids{share_a.info.id});
  EXPECT_EQ(ids({.state = "expired"}), Ids{share_b.info.id});
  EXPECT_EQ(ids({.state = "revoked"}), Ids{share_c.info.id});
  EXPECT_EQ(ids({.limit = 1, .offset = 1}), Ids{share_b.info.id});

  EXPECT_EQ(CodeOf(access_->SearchShares(Staff("h1"), {.tenant = "h1", .state = "gone"})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(access_->SearchShares(Staff("h1"), {.tenant = "h1", .study_uid = "1' OR 1"})),
            ErrorCode::kInvalidArgument);
  // Another hospital's staff and an auditor see nothing of them.
  EXPECT_EQ(CodeOf(access_->SearchShares(Staff("h2"), {.tenant = "h1"})),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(access_->SearchShares(Staff("h1", Role::kAuditor), {.tenant = "h1"})),
            ErrorCode::kPermissionDenied);
  auto other = access_->SearchShares(Staff("h2", Role::kHospitalAdmin), {.tenant = "h2"});
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

}  // namespace
}  // namespace cf::access
