// SPDX-License-Identifier: Apache-2.0
// The exporter's bookkeeping against a scripted transport: order, batches,
// the kept position, and what happens to events when sending fails.
#include "audit/syslog_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace cf::audit {
namespace {

using namespace std::chrono_literals;

// What the fake collector saw, shared with the test after the exporter
// took the transport.
struct Wire {
  std::mutex mutex;
  std::vector<std::string> delivered;  // confirmed by a Flush
  std::vector<std::string> in_flight;  // sent since the last Flush
  int opens = 0;
  int flushes = 0;
  int fail_open = 0;         // the next N Open calls fail
  int fail_send_after = -1;  // the Send after N more successful ones fails (-1: never)
  int fail_flush = 0;        // the next N Flush calls fail
  bool collector_closed = false;

  std::vector<std::string> Delivered() {
    std::lock_guard lock(mutex);
    return delivered;
  }
};

class FakeTransport final : public SyslogTransport {
 public:
  explicit FakeTransport(Wire& wire) : wire_(wire) {}
  Result<void> Open(const std::stop_token&) override {
    std::lock_guard lock(wire_.mutex);
    ++wire_.opens;
    if (wire_.fail_open > 0) {
      --wire_.fail_open;
      return Fail(ErrorCode::kStorageUnavailable, "cannot connect: Connection refused");
    }
    open_ = true;
    wire_.collector_closed = false;
    return {};
  }
  bool IsOpen() override {
    std::lock_guard lock(wire_.mutex);
    return open_ && !wire_.collector_closed;
  }
  Result<void> Send(std::string_view message, const std::stop_token&) override {
    std::lock_guard lock(wire_.mutex);
    EXPECT_TRUE(open_);
    if (wire_.fail_send_after == 0) {
      wire_.fail_send_after = -1;
      open_ = false;
      wire_.in_flight.clear();
      return Fail(ErrorCode::kStorageUnavailable, "sending failed: Broken pipe");
    }
    if (wire_.fail_send_after > 0) --wire_.fail_send_after;
    wire_.in_flight.emplace_back(message);
    return {};
  }
  Result<void> Flush(const std::stop_token&) override {
    std::lock_guard lock(wire_.mutex);
    ++wire_.flushes;
    if (wire_.fail_flush > 0) {
      --wire_.fail_flush;
      open_ = false;
      wire_.in_flight.clear();  // the collector lost them
      return Fail(ErrorCode::kStorageUnavailable, "collector closed the connection");
    }
    wire_.delivered.insert(wire_.delivered.end(), wire_.in_flight.begin(), wire_.in_flight.end());
    wire_.in_flight.clear();
    return {};
  }
  void Close() override {
    std::lock_guard lock(wire_.mutex);
    open_ = false;
    wire_.in_flight.clear();
  }

 private:
  Wire& wire_;
  bool open_ = false;
};

Event MakeEvent(int n) {
  Event e;
  e.time_ms = 1'760'000'000'000 + n;
  e.tenant = "hospital-a";
  e.actor = "user-" + std::to_string(n);
  e.action = Action::kLoginFailed;
  e.outcome = Outcome::kDenied;
  e.patient_id = "P100";
  return e;
}

// The actor named in a message ("user-7"), to check order and content.
std::string ActorOf(const std::string& message) {
  const std::string key = "UserID=\"";
  const size_t start = message.find(key);
  if (start == std::string::npos) return {};
  return message.substr(start + key.size(),
                        message.find('"', start + key.size()) - start - key.size());
}

std::vector<std::string> Users(int from, int to) {
  std::vector<std::string> users;
  for (int i = from; i < to; ++i) users.push_back("user-" + std::to_string(i));
  return users;
}

std::vector<std::string> ActorsOf(const std::vector<std::string>& messages) {
  std::vector<std::string> actors;
  for (const auto& m : messages) actors.push_back(ActorOf(m));
  return actors;
}

class SyslogExporterTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenLog(); }
  void OpenLog() {
    exporter_.reset();
    log_.reset();
    auto opened =
        OpenSqliteAuditLog(dir_.Path() / "audit.sqlite", AuditOptions{.coalesce_window = 0ms});
    ASSERT_TRUE(opened) << opened.error().message;
    log_ = std::move(*opened);
  }
  void MakeExporter(size_t batch = 256) {
    exporter_.reset();
    SyslogExporterOptions options;
    options.collector = "tcp://collector:601";
    options.audit_source_id = "cloudfilm@node-1";
    options.hostname = "node-1";
    options.batch = batch;
    options.poll = 10ms;
    options.first_retry = 5ms;
    options.max_retry = 20ms;
    exporter_ =
        std::make_unique<SyslogExporter>(*log_, std::make_unique<FakeTransport>(wire_), options);
  }
  void Record(int from, int to) {
    for (int i = from; i < to; ++i) ASSERT_TRUE(log_->Record(MakeEvent(i)));
  }
  Result<size_t> Pass() { return exporter_->ExportPending(stop_.get_token()); }

  cf::testing::TempDir dir_;
  std::unique_ptr<AuditLog> log_;
  Wire wire_;
  std::unique_ptr<SyslogExporter> exporter_;
  std::stop_source stop_;
};

TEST_F(SyslogExporterTest, SendsEveryEventInOrderAsAnAuditMessage) {
  Record(0, 5);
  MakeExporter();
  auto sent = Pass();
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(*sent, 5u);
  const auto delivered = wire_.Delivered();
  EXPECT_EQ(ActorsOf(delivered), Users(0, 5));
  // An RFC 5424 line with the PS3.15 XML: login failures are DCM 110114.
  EXPECT_TRUE(
      delivered[0].starts_with("<85>1 2025-10-09T08:53:20.000Z node-1 cloudfilm - "
                               "IHE+RFC-3881 - \xEF\xBB\xBF<?xml"))
      << delivered[0];
  EXPECT_NE(delivered[0].find(R"(<EventID csd-code="110114")"), std::string::npos);
  EXPECT_NE(delivered[0].find(R"(AuditSourceID="cloudfilm@node-1")"), std::string::npos);
  EXPECT_EQ(wire_.opens, 1);
  EXPECT_EQ(*log_->ExportPosition("syslog"), (*log_->ReadAfter(0, 10)).back().id);

  // Nothing new: nothing sent, no connection needed.
  EXPECT_EQ(*Pass(), 0u);
  Record(5, 7);
  EXPECT_EQ(*Pass(), 2u);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 7));
}

TEST_F(SyslogExporterTest, NothingToSendMeansNoConnection) {
  MakeExporter();
  EXPECT_EQ(*Pass(), 0u);
  EXPECT_EQ(wire_.opens, 0);
  EXPECT_EQ(exporter_->Position(), 0);
}

TEST_F(SyslogExporterTest, ReadsOneBatchAtATime) {
  Record(0, 10);
  MakeExporter(/*batch=*/3);
  // Memory holds one batch; each is confirmed (and the position saved) on its own.
  auto sent = Pass();
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, 10u);
  EXPECT_EQ(wire_.flushes, 4);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 10));
}

TEST_F(SyslogExporterTest, RestartResumesAtTheKeptPosition) {
  Record(0, 4);
  MakeExporter();
  ASSERT_TRUE(Pass());
  // Stopped; events keep coming (the CLI records them too); restarted.
  Record(4, 6);
  OpenLog();
  Record(6, 7);
  MakeExporter();
  auto sent = Pass();
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, 3u);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 7));  // each exactly once
}

TEST_F(SyslogExporterTest, CollectorDownKeepsEventsForLater) {
  Record(0, 3);
  MakeExporter();
  wire_.fail_open = 2;
  EXPECT_FALSE(Pass());
  Record(3, 5);
  EXPECT_FALSE(Pass());
  EXPECT_TRUE(wire_.Delivered().empty());
  EXPECT_EQ(*log_->ExportPosition("syslog"), 0);
  auto sent = Pass();
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 5));
}

TEST_F(SyslogExporterTest, AnUnconfirmedBatchIsSentAgain) {
  Record(0, 6);
  MakeExporter(/*batch=*/2);
  // The second batch is written but its acknowledgement never comes.
  wire_.fail_send_after = 3;
  auto failed = Pass();
  ASSERT_FALSE(failed);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 2));
  EXPECT_EQ(*log_->ExportPosition("syslog"), (*log_->ReadAfter(0, 10))[1].id);
  wire_.fail_flush = 1;
  EXPECT_FALSE(Pass());
  auto sent = Pass();
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, 4u);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 6));
}

TEST_F(SyslogExporterTest, ReconnectsWhenTheCollectorClosedTheConnection) {
  Record(0, 1);
  MakeExporter();
  ASSERT_TRUE(Pass());
  wire_.collector_closed = true;  // e.g. the collector restarted
  Record(1, 2);
  ASSERT_TRUE(Pass());
  EXPECT_EQ(wire_.opens, 2);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 2));
}

TEST_F(SyslogExporterTest, BackgroundThreadRetriesUntilTheCollectorIsBack) {
  Record(0, 3);
  wire_.fail_open = 3;
  MakeExporter();
  exporter_->Start();
  for (int i = 0; i < 500 && wire_.Delivered().size() < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 3));
  EXPECT_GE(wire_.opens, 4);
  Record(3, 5);
  exporter_->Notify();
  for (int i = 0; i < 500 && wire_.Delivered().size() < 5; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ActorsOf(wire_.Delivered()), Users(0, 5));
  const auto before = std::chrono::steady_clock::now();
  exporter_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  exporter_->Stop();  // idempotent
}

TEST_F(SyslogExporterTest, StopInterruptsALongRetryDelay) {
  Record(0, 1);
  wire_.fail_open = 1'000'000;
  SyslogExporterOptions options;
  options.first_retry = 60s;
  options.max_retry = 60s;
  exporter_ =
      std::make_unique<SyslogExporter>(*log_, std::make_unique<FakeTransport>(wire_), options);
  exporter_->Start();
  for (int i = 0; i < 200 && wire_.opens == 0; ++i) std::this_thread::sleep_for(5ms);
  const auto before = std::chrono::steady_clock::now();
  exporter_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
}

}  // namespace
}  // namespace cf::audit
