// SPDX-License-Identifier: Apache-2.0
#include "audit/audit_log.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace cf::audit {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1'760'000'000'000;  // 2025-10-09, a fixed time for exact assertions

Event MakeEvent(Action action = Action::kView, std::string study = "1.2.3",
                std::string actor = "doctor-li", int64_t time_ms = kT0) {
  Event e;
  e.time_ms = time_ms;
  e.tenant = "hospital-a";
  e.actor = std::move(actor);
  e.role = "doctor";
  e.patient_id = "P100";
  e.study_uid = std::move(study);
  e.action = action;
  e.protocol = "http";
  e.route = "/dicom-web/studies/{study}";
  e.source = "10.0.0.7";
  e.user_agent = "viewer/1.0";
  return e;
}

// Runs a SQL statement with the sqlite3 API directly, to check the file
// itself rather than what the log says about it.
std::string QueryOne(const std::filesystem::path& db_path, const std::string& sql, int* rc_out) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        if (text != nullptr) value = reinterpret_cast<const char*>(text);
      }
    }
    if (rc_out != nullptr) *rc_out = rc;
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(AuditOptions options = {}) {
    log_.reset();
    auto opened = OpenSqliteAuditLog(Path(), options);
    ASSERT_TRUE(opened) << opened.error().message;
    log_ = std::move(*opened);
  }
  std::filesystem::path Path() const { return dir_.Path() / "audit.sqlite"; }
  void Record(const Event& e) {
    auto r = log_->Record(e);
    ASSERT_TRUE(r) << r.error().message;
  }
  std::vector<Event> Find(const EventFilter& filter) {
    auto r = log_->Find(filter);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<Event>{};
  }
  int64_t Count() {
    auto r = log_->Count();
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : -1;
  }
  static std::vector<std::string> Actors(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.actor);
    return out;
  }

  cf::testing::TempDir dir_;
  std::unique_ptr<AuditLog> log_;
};

TEST(AuditEventTest, ActionAndOutcomeNamesRoundTrip) {
  const std::vector<std::pair<Action, std::string_view>> actions = {
      {Action::kQuery, "query"},
      {Action::kView, "view"},
      {Action::kDownload, "download"},
      {Action::kStore, "store"},
      {Action::kDelete, "delete"},
      {Action::kShare, "share"},
      {Action::kPrint, "print"},
      {Action::kLogin, "login"},
      {Action::kLoginFailed, "login-failed"},
      {Action::kLogout, "logout"},
      {Action::kBreakGlass, "break-glass"},
      {Action::kTokenCreate, "token-create"},
      {Action::kTokenRevoke, "token-revoke"},
      {Action::kAccountCreate, "account-create"},
      {Action::kAccountChange, "account-change"},
      {Action::kAccessDenied, "access-denied"},
      {Action::kConfigChange, "config-change"},
  };
  for (const auto& [action, name] : actions) {
    EXPECT_EQ(ActionName(action), name);
    EXPECT_EQ(ParseAction(name), action) << name;
  }
  EXPECT_EQ(ParseAction("View"), std::nullopt);
  EXPECT_EQ(ParseAction(""), std::nullopt);
  EXPECT_EQ(ParseAction("login_failed"), std::nullopt);

  EXPECT_EQ(OutcomeName(Outcome::kSuccess), "success");
  EXPECT_EQ(OutcomeName(Outcome::kDenied), "denied");
  EXPECT_EQ(OutcomeName(Outcome::kFailure), "failure");
  for (Outcome o : {Outcome::kSuccess, Outcome::kDenied, Outcome::kFailure}) {
    EXPECT_EQ(ParseOutcome(OutcomeName(o)), o);
  }
  EXPECT_EQ(ParseOutcome("ok"), std::nullopt);

  EXPECT_TRUE(IsRead(Action::kQuery));
  EXPECT_TRUE(IsRead(Action::kView));
  EXPECT_TRUE(IsRead(Action::kDownload));
  EXPECT_FALSE(IsRead(Action::kStore));
  EXPECT_FALSE(IsRead(Action::kBreakGlass));
}

TEST_F(AuditLogTest, RecordedEventRoundTripsEveryField) {
  Event e;
  e.time_ms = kT0 + 123;
  e.tenant = "人民医院";
  e.actor = "张医生";
  e.role = "doctor";
  e.token_id = "tok-42";
  e.patient_id = "患者-0001";
  e.study_uid = "1.2.840.1";
  e.series_uid = "1.2.840.1.2";
  e.sop_uid = "1.2.840.1.2.3";
  e.action = Action::kBreakGlass;
  e.outcome = Outcome::kDenied;
  e.protocol = "dimse";
  e.route = "C-FIND";
  e.source = "[::1]:40112";
  e.user_agent = "Mozilla/5.0 (微信)";
  e.detail = "急诊抢救，患者昏迷 \"quoted\" 'single' <tag> & more\nsecond line";
  e.flagged = true;
  e.id = 999;  // ignored: ids are assigned when stored
  Record(e);

  auto found = Find({});
  ASSERT_EQ(found.size(), 1u);
  const Event& got = found[0];
  EXPECT_GT(got.id, 0);
  EXPECT_NE(got.id, 999);
  EXPECT_EQ(got.time_ms, kT0 + 123);
  EXPECT_EQ(got.tenant, "人民医院");
  EXPECT_EQ(got.actor, "张医生");
  EXPECT_EQ(got.role, "doctor");
  EXPECT_EQ(got.token_id, "tok-42");
  EXPECT_EQ(got.patient_id, "患者-0001");
  EXPECT_EQ(got.study_uid, "1.2.840.1");
  EXPECT_EQ(got.series_uid, "1.2.840.1.2");
  EXPECT_EQ(got.sop_uid, "1.2.840.1.2.3");
  EXPECT_EQ(got.action, Action::kBreakGlass);
  EXPECT_EQ(got.outcome, Outcome::kDenied);
  EXPECT_EQ(got.protocol, "dimse");
  EXPECT_EQ(got.route, "C-FIND");
  EXPECT_EQ(got.source, "[::1]:40112");
  EXPECT_EQ(got.user_agent, "Mozilla/5.0 (微信)");
  EXPECT_EQ(got.detail, e.detail);
  EXPECT_TRUE(got.flagged);

  // Chinese text is also a filter key.
  EventFilter by_patient;
  by_patient.patient_id = "患者-0001";
  by_patient.tenant = "人民医院";
  EXPECT_EQ(Find(by_patient).size(), 1u);
  by_patient.patient_id = "患者-0002";
  EXPECT_TRUE(Find(by_patient).empty());
}

TEST_F(AuditLogTest, TimeZeroMeansNow) {
  Event e = MakeEvent(Action::kStore);
  e.time_ms = 0;
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Record(e);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto found = Find({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_GE(found[0].time_ms, before);
  EXPECT_LE(found[0].time_ms, after);
}

TEST_F(AuditLogTest, FindsByEachFilter) {
  Open(AuditOptions{.coalesce_window = 0ms});
  Event a = MakeEvent(Action::kView, "1.1", "alice", kT0);
  a.patient_id = "PA";
  Event b = MakeEvent(Action::kDownload, "1.2", "bob", kT0 + 1000);
  b.patient_id = "PB";
  b.tenant = "hospital-b";
  Event c = MakeEvent(Action::kBreakGlass, "1.3", "carol", kT0 + 2000);
  c.patient_id = "PA";
  c.flagged = true;
  c.detail = "emergency";
  Event d = MakeEvent(Action::kAccessDenied, "1.2", "dave", kT0 + 3000);
  d.patient_id = "PB";
  d.outcome = Outcome::kDenied;
  for (const Event& e : {a, b, c, d}) Record(e);
  ASSERT_EQ(Count(), 4);

  EXPECT_EQ(Actors(Find({})), (std::vector<std::string>{"dave", "carol", "bob", "alice"}));

  EventFilter f;
  f.tenant = "hospital-b";
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"bob"}));

  f = {};
  f.actor = "carol";
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"carol"}));

  f = {};
  f.patient_id = "PA";
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"carol", "alice"}));

  f = {};
  f.study_uid = "1.2";
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"dave", "bob"}));

  f = {};
  f.action = Action::kDownload;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"bob"}));

  f = {};
  f.outcome = Outcome::kDenied;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"dave"}));
  f.outcome = Outcome::kSuccess;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"carol", "bob", "alice"}));

  f = {};
  f.flagged = true;
  auto flagged = Find(f);
  ASSERT_EQ(Actors(flagged), (std::vector<std::string>{"carol"}));
  EXPECT_EQ(flagged[0].detail, "emergency");
  f.flagged = false;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"dave", "bob", "alice"}));

  // from is inclusive, to is exclusive.
  f = {};
  f.from_ms = kT0 + 1000;
  f.to_ms = kT0 + 3000;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"carol", "bob"}));
  f.from_ms = kT0 + 3000;
  f.to_ms = std::nullopt;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"dave"}));
  f.from_ms = std::nullopt;
  f.to_ms = kT0;
  EXPECT_TRUE(Find(f).empty());

  // Filters combine with AND.
  f = {};
  f.patient_id = "PB";
  f.tenant = "hospital-a";
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"dave"}));
  f.action = Action::kView;
  EXPECT_TRUE(Find(f).empty());

  f = {};
  f.actor = "nobody";
  EXPECT_TRUE(Find(f).empty());
}

TEST_F(AuditLogTest, NewestFirstWithLimitAndOffset) {
  Open(AuditOptions{.coalesce_window = 0ms});
  // Recorded out of time order: the order is by event time, then by id.
  for (int64_t t : {5, 1, 3, 2, 4}) {
    Record(MakeEvent(Action::kStore, "1.2", "actor-" + std::to_string(t), kT0 + t));
  }
  Record(MakeEvent(Action::kStore, "1.2", "actor-3b", kT0 + 3));

  EXPECT_EQ(Actors(Find({})), (std::vector<std::string>{"actor-5", "actor-4", "actor-3b", "actor-3",
                                                        "actor-2", "actor-1"}));
  EventFilter f;
  f.limit = 2;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"actor-5", "actor-4"}));
  f.offset = 2;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"actor-3b", "actor-3"}));
  f.offset = 4;
  EXPECT_EQ(Actors(Find(f)), (std::vector<std::string>{"actor-2", "actor-1"}));
  f.offset = 6;
  EXPECT_TRUE(Find(f).empty());
  f.offset = 0;
  f.limit = 0;
  EXPECT_TRUE(Find(f).empty());
  f.limit = kMaxFindLimit * 10;  // capped, not an error
  EXPECT_EQ(Find(f).size(), 6u);
}

TEST_F(AuditLogTest, IdsAreAssignedInRecordOrder) {
  Open(AuditOptions{.coalesce_window = 0ms});
  for (int i = 0; i < 3; ++i) Record(MakeEvent(Action::kView, "1.2", "a" + std::to_string(i)));
  auto found = Find({});  // same time: newest id first
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(Actors(found), (std::vector<std::string>{"a2", "a1", "a0"}));
  EXPECT_GT(found[0].id, found[1].id);
  EXPECT_GT(found[1].id, found[2].id);
}

TEST_F(AuditLogTest, EventsSurviveReopen) {
  Event e = MakeEvent(Action::kDownload);
  e.detail = "zip, 512 instances";
  Record(e);
  Record(MakeEvent(Action::kLogin, "", "doctor-wang", kT0 + 10));
  log_.reset();

  Open();
  EXPECT_EQ(Count(), 2);
  auto found = Find({});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].actor, "doctor-wang");
  EXPECT_EQ(found[0].action, Action::kLogin);
  EXPECT_EQ(found[1].action, Action::kDownload);
  EXPECT_EQ(found[1].detail, "zip, 512 instances");
  EXPECT_EQ(found[1].study_uid, "1.2.3");

  // New ids continue after the old ones.
  Record(MakeEvent(Action::kLogout, "", "doctor-wang", kT0 + 20));
  auto after = Find({});
  ASSERT_EQ(after.size(), 3u);
  EXPECT_GT(after[0].id, found[0].id);
}

TEST_F(AuditLogTest, SchemaIsVersionedIndexedAndAppendOnly) {
  Record(MakeEvent());
  int rc = 0;
  EXPECT_EQ(QueryOne(Path(), "PRAGMA user_version", &rc), "2");
  EXPECT_EQ(QueryOne(Path(), "PRAGMA journal_mode", &rc), "wal");
  for (const char* index :
       {"audit_events_tenant_time", "audit_events_patient_time", "audit_events_study_time",
        "audit_events_actor_time", "audit_events_action_time"}) {
    EXPECT_EQ(QueryOne(Path(),
                       std::string("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                   "name = '") +
                           index + "'",
                       &rc),
              index);
  }
  // Even another client cannot rewrite history.
  QueryOne(Path(), "UPDATE audit_events SET actor = 'someone-else'", &rc);
  EXPECT_NE(rc, SQLITE_DONE);
  auto found = Find({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].actor, "doctor-li");
}

TEST_F(AuditLogTest, NewerSchemaIsRefused) {
  log_.reset();
  int rc = 0;
  QueryOne(Path(), "PRAGMA user_version = 99", &rc);
  ASSERT_EQ(rc, SQLITE_DONE);
  auto opened = OpenSqliteAuditLog(Path());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kConflict);
}

TEST_F(AuditLogTest, SameReadWithinWindowIsStoredOnce) {
  Open(AuditOptions{.coalesce_window = 60s});
  for (int i = 0; i < 500; ++i) {
    Event frame = MakeEvent(Action::kView, "1.2.3", "doctor-li", kT0 + i * 10);
    frame.sop_uid = "1.2.3.4." + std::to_string(i);
    frame.detail = "frame " + std::to_string(i);
    Record(frame);
  }
  auto found = Find({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].time_ms, kT0);
  EXPECT_EQ(found[0].sop_uid, "1.2.3.4.0");
  EXPECT_EQ(found[0].detail, "frame 0");

  // The window runs from the stored event: at exactly 60 s a new one is stored.
  Record(MakeEvent(Action::kView, "1.2.3", "doctor-li", kT0 + 59'999));
  EXPECT_EQ(Count(), 1);
  Record(MakeEvent(Action::kView, "1.2.3", "doctor-li", kT0 + 60'000));
  EXPECT_EQ(Count(), 2);
  Record(MakeEvent(Action::kView, "1.2.3", "doctor-li", kT0 + 60'001));
  EXPECT_EQ(Count(), 2);
}

TEST_F(AuditLogTest, DifferentReadsAreStoredSeparately) {
  Open(AuditOptions{.coalesce_window = 60s});
  Record(MakeEvent(Action::kView, "1.2.3"));
  Record(MakeEvent(Action::kView, "1.2.4"));                 // another study
  Record(MakeEvent(Action::kDownload, "1.2.3"));             // another action
  Record(MakeEvent(Action::kView, "1.2.3", "doctor-zhao"));  // another actor
  Event e = MakeEvent(Action::kView, "1.2.3");
  e.source = "10.0.0.8";  // another machine
  Record(e);
  e = MakeEvent(Action::kView, "1.2.3");
  e.token_id = "share-1";  // another token
  Record(e);
  e = MakeEvent(Action::kView, "1.2.3");
  e.tenant = "hospital-b";  // another tenant
  Record(e);
  e = MakeEvent(Action::kView, "1.2.3");
  e.outcome = Outcome::kDenied;  // a denial is never hidden behind a success
  Record(e);
  e = MakeEvent(Action::kView, "1.2.3");
  e.flagged = true;  // neither is a break-glass read
  Record(e);
  e = MakeEvent(Action::kQuery, "");
  e.patient_id = "P1";
  Record(e);
  e.patient_id = "P2";  // a query about another patient
  Record(e);
  EXPECT_EQ(Count(), 11);

  // Writes are never coalesced.
  Record(MakeEvent(Action::kStore, "1.2.3"));
  Record(MakeEvent(Action::kStore, "1.2.3"));
  Record(MakeEvent(Action::kBreakGlass, "1.2.3"));
  Record(MakeEvent(Action::kBreakGlass, "1.2.3"));
  EXPECT_EQ(Count(), 15);

  // And every one of the repeats above was covered.
  Record(MakeEvent(Action::kView, "1.2.4"));
  Record(MakeEvent(Action::kDownload, "1.2.3"));
  EXPECT_EQ(Count(), 15);
}

TEST_F(AuditLogTest, CoveredTellsWithoutWritingWhatRecordWouldCoalesce) {
  Open(AuditOptions{.coalesce_window = 60s});
  const Event view = MakeEvent(Action::kView, "1.2.3", "doctor-li", kT0);
  EXPECT_FALSE(log_->Covered(view));  // nothing stored yet
  Record(view);
  Event later = MakeEvent(Action::kView, "1.2.3", "doctor-li", kT0 + 59'999);
  later.sop_uid = "1.2.3.4.5";  // another instance of the same study
  EXPECT_TRUE(log_->Covered(later));
  later.time_ms = kT0 + 60'000;  // past the window
  EXPECT_FALSE(log_->Covered(later));
  EXPECT_FALSE(log_->Covered(MakeEvent(Action::kView, "1.2.4", "doctor-li", kT0)));
  EXPECT_FALSE(log_->Covered(MakeEvent(Action::kView, "1.2.3", "doctor-zhao", kT0)));
  Event denied = view;
  denied.outcome = Outcome::kDenied;
  EXPECT_FALSE(log_->Covered(denied));
  // Writes are never covered, whatever was stored before.
  Record(MakeEvent(Action::kStore, "1.2.3", "doctor-li", kT0));
  EXPECT_FALSE(log_->Covered(MakeEvent(Action::kStore, "1.2.3", "doctor-li", kT0 + 1)));
  // Covered wrote nothing: the view and the store.
  EXPECT_EQ(Count(), 2);

  Open(AuditOptions{.coalesce_window = 0ms});
  Record(view);
  EXPECT_FALSE(log_->Covered(view));
}

TEST_F(AuditLogTest, ConnectionsFromOneMachineAreOneSource) {
  Open(AuditOptions{.coalesce_window = 60s});
  for (const char* source : {"10.0.0.7:50001", "10.0.0.7:50002", "10.0.0.7", "[fe80::1]:443",
                             "[fe80::1]:444", "fe80::1"}) {
    Event e = MakeEvent(Action::kView, "1.2.3");
    e.source = source;
    Record(e);
  }
  auto found = Find({});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].source, "[fe80::1]:443");  // stored as given
  EXPECT_EQ(found[1].source, "10.0.0.7:50001");
}

TEST_F(AuditLogTest, WindowZeroStoresEveryEvent) {
  Open(AuditOptions{.coalesce_window = 0ms});
  for (int i = 0; i < 20; ++i) Record(MakeEvent(Action::kView, "1.2.3"));
  EXPECT_EQ(Count(), 20);
}

TEST_F(AuditLogTest, CoalescingMemoryIsBounded) {
  // Far more distinct reads than the map keeps: every one is stored, and a
  // repeat of a recent one is still covered after pruning.
  Open(AuditOptions{.coalesce_window = 60s});
  // Many threads, so that group commit keeps this quick.
  constexpr int kThreads = 48;
  constexpr int kDistinct = 12'000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kDistinct; i += kThreads) {
        if (!log_->Record(
                MakeEvent(Action::kView, "1.2." + std::to_string(i), "doctor-li", kT0 + i))) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(), kDistinct);
  Record(MakeEvent(Action::kView, "1.2." + std::to_string(kDistinct - 1), "doctor-li",
                   kT0 + kDistinct));
  EXPECT_EQ(Count(), kDistinct);
}

TEST_F(AuditLogTest, ConcurrentRecordsAreAllStoredWithUniqueIds) {
  Open(AuditOptions{.coalesce_window = 60s});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Distinct studies: none of these may be coalesced.
        Event e = MakeEvent(Action::kView, "1.2." + std::to_string(t) + "." + std::to_string(i),
                            "thread-" + std::to_string(t), 0);
        e.detail = std::to_string(i);
        if (!log_->Record(e)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(Count(), kThreads * kPerThread);

  EventFilter all;
  all.limit = kMaxFindLimit;
  auto found = Find(all);
  ASSERT_EQ(found.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<int64_t> ids;
  std::set<std::string> studies;
  for (const auto& e : found) {
    ids.insert(e.id);
    studies.insert(e.study_uid);
  }
  EXPECT_EQ(ids.size(), found.size());
  EXPECT_EQ(studies.size(), found.size());
  // Each thread's own events were stored in its call order.
  for (int t = 0; t < kThreads; ++t) {
    EventFilter mine;
    mine.actor = "thread-" + std::to_string(t);
    mine.limit = kPerThread;
    auto events = Find(mine);
    ASSERT_EQ(events.size(), static_cast<size_t>(kPerThread));
    std::sort(events.begin(), events.end(),
              [](const Event& x, const Event& y) { return x.id < y.id; });
    for (int i = 0; i < kPerThread; ++i)
      EXPECT_EQ(events[static_cast<size_t>(i)].detail, std::to_string(i));
  }
}

TEST_F(AuditLogTest, ConcurrentSameReadsAreStoredOnce) {
  Open(AuditOptions{.coalesce_window = 60s});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!log_->Record(MakeEvent(Action::kView, "1.2.3", "doctor-li", 0))) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(), 1);
}

TEST_F(AuditLogTest, ConcurrentReadersSeeCommittedEvents) {
  Open(AuditOptions{.coalesce_window = 0ms});
  std::atomic<bool> stop{false};
  std::atomic<int> read_failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      int64_t last = 0;
      while (!stop.load()) {
        auto n = log_->Count();
        auto page = log_->Find({});
        if (!n || !page || *n < last) ++read_failures;
        if (n) last = *n;
        std::this_thread::sleep_for(1ms);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    Record(MakeEvent(Action::kStore));
    ASSERT_EQ(Count(), i + 1);  // visible as soon as Record returned
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(read_failures.load(), 0);
}

TEST_F(AuditLogTest, RejectsEventsWithoutTenantOrActor) {
  Event e = MakeEvent();
  e.actor.clear();
  auto r = log_->Record(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  e = MakeEvent();
  e.tenant.clear();
  r = log_->Record(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  e = MakeEvent();
  e.time_ms = -5;
  EXPECT_FALSE(log_->Record(e));
  e = MakeEvent();
  e.action = static_cast<Action>(999);
  EXPECT_FALSE(log_->Record(e));
  EXPECT_EQ(Count(), 0);
}

TEST_F(AuditLogTest, LongTextIsCutAtACharacterBoundary) {
  Event e = MakeEvent(Action::kStore);
  e.user_agent = "a";
  for (int i = 0; i < 3000; ++i) e.user_agent += "中";  // 3 bytes each, off by one
  e.detail = std::string(20'000, 'x');
  Record(e);
  auto found = Find({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].user_agent.size(), 1u + 3u * 1365u);  // 4096 bytes hold 1365 whole chars
  EXPECT_EQ(found[0].user_agent, e.user_agent.substr(0, 1 + 3 * 1365));
  EXPECT_EQ(found[0].detail, std::string(16384, 'x'));
}

TEST(AuditLogErrorTest, OpenInMissingDirectoryFails) {
  cf::testing::TempDir dir;
  auto opened = OpenSqliteAuditLog(dir.Path() / "no-such-dir" / "audit.sqlite");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kStorageUnavailable);
}

TEST(AuditLogErrorTest, OpenBelowAFileFails) {
  cf::testing::TempDir dir;
  std::ofstream(dir.Path() / "file") << "not a folder";
  auto opened = OpenSqliteAuditLog(dir.Path() / "file" / "audit.sqlite");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kStorageUnavailable);
}

TEST(AuditLogErrorTest, OpenInReadOnlyDirectoryFails) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes to read-only folders";
  cf::testing::TempDir dir;
  const auto ro = dir.Path() / "ro";
  std::filesystem::create_directory(ro);
  std::filesystem::permissions(
      ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  auto opened = OpenSqliteAuditLog(ro / "audit.sqlite");
  std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kStorageUnavailable);
}

TEST(AuditLogErrorTest, RecordAfterDirectoryRemovedFails) {
  cf::testing::TempDir dir;
  const auto data = dir.Path() / "data";
  std::filesystem::create_directory(data);
  auto opened = OpenSqliteAuditLog(data / "audit.sqlite", AuditOptions{.coalesce_window = 60s});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& log = **opened;
  ASSERT_TRUE(log.Record(MakeEvent(Action::kView, "1.2.3")));

  std::filesystem::remove_all(data);
  auto r = log.Record(MakeEvent(Action::kStore));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStorageUnavailable);
  // A read covered by the event stored before the removal is still covered.
  EXPECT_TRUE(log.Record(MakeEvent(Action::kView, "1.2.3")));
  // A new read is not, and fails too; so do concurrent writers, without a crash.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto rr = log.Record(MakeEvent(Action::kView, "9." + std::to_string(t * 100 + i)));
        if (!rr && rr.error().code == ErrorCode::kStorageUnavailable) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 40);
  // Closing a broken log does not crash either.
  opened->reset();
}

TEST(AuditLogErrorTest, RecordAfterFileMovedFails) {
  cf::testing::TempDir dir;
  auto opened = OpenSqliteAuditLog(dir.Path() / "audit.sqlite");
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_TRUE((*opened)->Record(MakeEvent(Action::kStore)));
  std::filesystem::rename(dir.Path() / "audit.sqlite", dir.Path() / "moved.sqlite");
  auto r = (*opened)->Record(MakeEvent(Action::kStore));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStorageUnavailable);
}

}  // namespace
}  // namespace cf::audit
