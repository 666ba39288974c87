// SPDX-License-Identifier: Apache-2.0
// What an exporter reads from the audit log: events after an id, oldest
// first, and its position, kept across restarts and schema upgrades.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "support/temp_dir.hpp"

namespace cf::audit {
namespace {

using namespace std::chrono_literals;

Event MakeEvent(std::string actor, Action action = Action::kLogin) {
  Event e;
  e.time_ms = 1'760'000'000'000;
  e.tenant = "hospital-a";
  e.actor = std::move(actor);
  e.action = action;
  e.patient_id = "P100";
  return e;
}

class ExportPositionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    log_.reset();
    auto opened = OpenSqliteAuditLog(Path(), AuditOptions{.coalesce_window = 0ms});
    ASSERT_TRUE(opened) << opened.error().message;
    log_ = std::move(*opened);
  }
  std::filesystem::path Path() const { return dir_.Path() / "audit.sqlite"; }
  void Record(const std::string& actor) {
    auto r = log_->Record(MakeEvent(actor));
    ASSERT_TRUE(r) << r.error().message;
  }
  std::vector<std::string> ActorsAfter(int64_t id, size_t limit) {
    auto events = log_->ReadAfter(id, limit);
    EXPECT_TRUE(events) << events.error().message;
    std::vector<std::string> actors;
    if (events) {
      for (const auto& e : *events) actors.push_back(e.actor);
    }
    return actors;
  }

  cf::testing::TempDir dir_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(ExportPositionTest, ReadAfterGivesOldestFirstFromAnId) {
  EXPECT_TRUE(ActorsAfter(0, 10).empty());
  for (const char* actor : {"a", "b", "c", "d"}) Record(actor);
  EXPECT_EQ(ActorsAfter(0, 10), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(ActorsAfter(0, 2), (std::vector<std::string>{"a", "b"}));
  auto first_two = log_->ReadAfter(0, 2);
  ASSERT_TRUE(first_two);
  EXPECT_EQ(ActorsAfter(first_two->back().id, 10), (std::vector<std::string>{"c", "d"}));
  EXPECT_TRUE(ActorsAfter(0, 0).empty());
  EXPECT_EQ((*log_->ReadAfter(0, 1))[0].patient_id, "P100");  // every field, like Find
}

TEST_F(ExportPositionTest, ReadAfterSeesEventsCommittedSinceTheLastCall) {
  Record("a");
  auto first = log_->ReadAfter(0, 10);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  Record("b");
  EXPECT_EQ(ActorsAfter(first->back().id, 10), (std::vector<std::string>{"b"}));
}

TEST_F(ExportPositionTest, PositionStartsAtZeroAndSurvivesReopen) {
  auto none = log_->ExportPosition("syslog");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 0);
  ASSERT_TRUE(log_->SetExportPosition("syslog", 41));
  ASSERT_TRUE(log_->SetExportPosition("syslog", 42));
  ASSERT_TRUE(log_->SetExportPosition("other", 7));
  Open();
  EXPECT_EQ(*log_->ExportPosition("syslog"), 42);
  EXPECT_EQ(*log_->ExportPosition("other"), 7);
}

TEST_F(ExportPositionTest, BadPositionsAreRefused) {
  EXPECT_EQ(log_->SetExportPosition("", 1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log_->SetExportPosition("syslog", -1).error().code, ErrorCode::kInvalidArgument);
}

// A database written before export positions existed (schema 1) gains the
// table and keeps its events, which are all still to be exported.
TEST(ExportPositionUpgradeTest, SchemaOneDatabaseIsUpgraded) {
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "audit.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 =
      "PRAGMA journal_mode = WAL;"
      "CREATE TABLE audit_events (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
      " tenant TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL DEFAULT '',"
      " token_id TEXT NOT NULL DEFAULT '', patient_id TEXT NOT NULL DEFAULT '',"
      " study_uid TEXT NOT NULL DEFAULT '', series_uid TEXT NOT NULL DEFAULT '',"
      " sop_uid TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, outcome TEXT NOT NULL,"
      " protocol TEXT NOT NULL DEFAULT '', route TEXT NOT NULL DEFAULT '',"
      " source TEXT NOT NULL DEFAULT '', user_agent TEXT NOT NULL DEFAULT '',"
      " detail TEXT NOT NULL DEFAULT '', flagged INTEGER NOT NULL DEFAULT 0);"
      "INSERT INTO audit_events (time_ms, tenant, actor, action, outcome)"
      " VALUES (1, 'default', 'old-event', 'login', 'success');"
      "PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto log = OpenSqliteAuditLog(path);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(*(*log)->ExportPosition("syslog"), 0);
  auto events = (*log)->ReadAfter(0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].actor, "old-event");
}

}  // namespace
}  // namespace cf::audit
