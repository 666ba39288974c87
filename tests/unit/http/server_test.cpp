// SPDX-License-Identifier: Apache-2.0
// The server end to end: a real archive (SQLite catalog + filesystem blobs
// in a temporary folder) behind a Server on a free loopback port, driven by
// a small Beast client over real sockets. Checks the JSON shapes, problem
// answers, exact bytes, limits, timeouts, keep-alive and graceful stop.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "catalog/sqlite_catalog.hpp"
#include "core/version.hpp"
#include "crypto/sha256.hpp"
#include "http_client.hpp"
#include "store/filesystem_blob_store.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "test_security.hpp"

namespace cf::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using asio::ip::tcp;
using beast_http::verb;
using boost::system::error_code;
using cf::testing::DicomBuilder;
using namespace std::chrono_literals;

constexpr const char* kStudyA = "1.2.826.0.1.1";
constexpr const char* kSeriesA = "1.2.826.0.1.1.1";
constexpr const char* kInstance1 = "1.2.826.0.1.1.1.1";
constexpr const char* kInstance2 = "1.2.826.0.1.1.1.2";
constexpr const char* kStudyB = "1.2.826.0.1.2";
constexpr const char* kNameA = "Wang^Wei=\xE7\x8E\x8B^\xE4\xBC\x9F";

using testing::Client;
using testing::Reply;
using testing::TestSecurity;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = test_archive_.Open(dir_.Path() / "data");
    ASSERT_TRUE(opened) << opened.error().message;

    const auto study_a = [] {
      DicomBuilder builder;
      builder.Study(kStudyA)
          .Series(kSeriesA)
          .Set("SpecificCharacterSet", "ISO_IR 192")
          .Patient("P1", kNameA)
          .Set("StudyDate", "20240115")
          .Set("Modality", "CT")
          .Set("AccessionNumber", "ACC1");
      return builder;
    };
    instance1_v1_ = study_a().Sop(kInstance1).Pixels(8, 8, 1).Build();
    instance1_v2_ = study_a().Sop(kInstance1).Pixels(8, 8, 2).Build();
    const Bytes instance2 = study_a().Sop(kInstance2).Set("InstanceNumber", "2").Build();
    const Bytes study_b = DicomBuilder()
                              .Study(kStudyB)
                              .Series("1.2.826.0.1.2.1")
                              .Sop("1.2.826.0.1.2.1.1")
                              .Patient("P2", "Li^Na")
                              .Set("StudyDate", "20231201")
                              .Set("Modality", "MR")
                              .Build();
    const std::array<const Bytes*, 4> all = {&instance1_v1_, &instance1_v2_, &instance2, &study_b};
    for (const Bytes* bytes : all) {
      auto receipt = archive_->Ingest(*bytes, {"test", "", "default"});
      ASSERT_TRUE(receipt) << receipt.error().message;
    }

    ASSERT_TRUE(security_.Open(dir_.Path() / "security"));
    options_.port = 0;
    options_.read_timeout = 1s;
    options_.idle_timeout = 2s;
    options_.shutdown_grace = 3s;
    options_.max_header_bytes = 4096;
    options_.max_body_bytes = 1024 * 1024;
    StartServer();
  }

  void StartServer() {
    server_ =
        std::make_unique<Server>(options_, *archive_, *security_.access, security_.audit.get());
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_NE(server_->Port(), 0);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  Reply Get(const std::string& target, beast_http::fields extra = {}) {
    Client client(server_->Port());
    EXPECT_TRUE(client.Connected());
    return client.Send(verb::get, target, std::move(extra));
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive test_archive_;
  std::unique_ptr<archive::Archive>& archive_ = test_archive_.archive;
  TestSecurity security_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  Bytes instance1_v1_;
  Bytes instance1_v2_;
};

void ExpectProblem(const Reply& reply, unsigned status, std::string_view type) {
  EXPECT_EQ(reply.status, status) << reply.error << reply.body;
  EXPECT_EQ(reply.Header(beast_http::field::content_type), "application/problem+json");
  const auto body = nlohmann::json::parse(reply.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << reply.body;
  EXPECT_EQ(body["type"], type);
  EXPECT_EQ(body["status"], status);
  EXPECT_TRUE(body["title"].is_string());
}

TEST_F(ServerTest, HealthzAnswersOk) {
  const Reply reply = Get("/healthz");
  ASSERT_EQ(reply.status, 200u) << reply.error;
  EXPECT_EQ(reply.Header(beast_http::field::content_type), "application/json");
  EXPECT_EQ(reply.Json(), nlohmann::json({{"status", "ok"}}));
}

TEST_F(ServerTest, SystemReportsTotals) {
  const Reply reply = Get("/api/system");
  ASSERT_EQ(reply.status, 200u) << reply.error;
  const auto body = reply.Json();
  EXPECT_EQ(body["name"], "cloudfilm");
  EXPECT_EQ(body["version"], kVersion);
  EXPECT_EQ(body["patients"], 2);
  EXPECT_EQ(body["studies"], 2);
  EXPECT_EQ(body["series"], 2);
  EXPECT_EQ(body["instances"], 3);
  EXPECT_EQ(body["instance_versions"], 4);
  EXPECT_GT(body["bytes_received"].get<uint64_t>(), 0u);
  EXPECT_GT(body["bytes_stored"].get<uint64_t>(), 0u);
}

TEST_F(ServerTest, PatientsAreListedWithPaging) {
  const Reply all = Get("/api/patients");
  ASSERT_EQ(all.status, 200u) << all.error;
  EXPECT_EQ(all.Json()["total"], 2);
  EXPECT_EQ(all.Json()["limit"], 100);
  EXPECT_EQ(all.Json()["offset"], 0);
  EXPECT_EQ(all.Json()["items"].size(), 2u);

  const Reply one = Get("/api/patients?patient_id=P1");
  ASSERT_EQ(one.status, 200u);
  ASSERT_EQ(one.Json()["items"].size(), 1u);
  EXPECT_EQ(one.Json()["items"][0]["patient_name"], kNameA);
  EXPECT_EQ(one.Json()["items"][0]["num_studies"], 1);

  const Reply paged = Get("/api/patients?limit=1&offset=1");
  ASSERT_EQ(paged.status, 200u);
  EXPECT_EQ(paged.Json()["total"], 2);
  EXPECT_EQ(paged.Json()["items"].size(), 1u);
}

TEST_F(ServerTest, StudiesAreFilteredByModalityDateAndName) {
  const auto uids = [&](const std::string& target) {
    const Reply reply = Get(target);
    EXPECT_EQ(reply.status, 200u) << target << " " << reply.body;
    std::vector<std::string> found;
    if (reply.status != 200) return found;
    const auto body = reply.Json();
    for (const auto& item : body["items"]) found.push_back(item["study_instance_uid"]);
    return found;
  };
  using Uids = std::vector<std::string>;
  EXPECT_EQ(uids("/api/studies?modality=CT"), Uids{kStudyA});
  EXPECT_EQ(uids("/api/studies?modality=MR"), Uids{kStudyB});
  EXPECT_EQ(uids("/api/studies?date=20240115"), Uids{kStudyA});
  EXPECT_EQ(uids("/api/studies?date=20231101-20231231"), Uids{kStudyB});
  EXPECT_EQ(uids("/api/studies?date_from=20240101"), Uids{kStudyA});
  EXPECT_EQ(uids("/api/studies?accession=ACC1"), Uids{kStudyA});
  EXPECT_EQ(uids("/api/studies?name=Li*"), Uids{kStudyB});
  EXPECT_EQ(uids("/api/studies?patient_id=P9"), Uids{});

  const Reply both = Get("/api/studies");
  ASSERT_EQ(both.status, 200u);
  const auto body = both.Json();
  EXPECT_EQ(body["total"], 2);
  const auto& study = body["items"][0];
  EXPECT_TRUE(study.contains("modalities"));
  EXPECT_TRUE(study.contains("num_instances"));
}

TEST_F(ServerTest, BadQueryParametersAreBadRequestNamingThem) {
  for (const char* target :
       {"/api/studies?limit=5000", "/api/studies?limit=abc", "/api/patients?offset=-1"}) {
    const Reply reply = Get(target);
    ExpectProblem(reply, 400, "urn:cloudfilm:error:invalid-argument");
  }
  const Reply limit = Get("/api/studies?limit=abc");
  EXPECT_NE(limit.Json()["detail"].get<std::string>().find("'limit'"), std::string::npos);
  const Reply date = Get("/api/studies?date=2024-01-15");
  ExpectProblem(date, 400, "urn:cloudfilm:error:invalid-argument");
  EXPECT_NE(date.Json()["detail"].get<std::string>().find("'date'"), std::string::npos);
  const Reply from = Get("/api/studies?date_from=20241341");
  EXPECT_NE(from.Json()["detail"].get<std::string>().find("'date_from'"), std::string::npos);
}

TEST_F(ServerTest, StudyShowsSeriesAndEveryInstanceVersion) {
  const Reply reply = Get(std::string("/api/studies/") + kStudyA);
  ASSERT_EQ(reply.status, 200u) << reply.error << reply.body;
  const auto body = reply.Json();
  EXPECT_EQ(body["study_instance_uid"], kStudyA);
  EXPECT_EQ(body["patient_name"], kNameA);
  EXPECT_EQ(body["study_date"], "20240115");
  ASSERT_EQ(body["series"].size(), 1u);
  const auto& series = body["series"][0];
  EXPECT_EQ(series["series_instance_uid"], kSeriesA);
  EXPECT_EQ(series["modality"], "CT");
  ASSERT_EQ(series["instances"].size(), 3u);  // instance 1 twice (two versions), instance 2
  int versions_of_1 = 0;
  for (const auto& instance : series["instances"]) {
    EXPECT_EQ(instance["sha256_hex"].get<std::string>().size(), 64u);
    EXPECT_GT(instance["size"].get<uint64_t>(), 0u);
    EXPECT_FALSE(instance["transfer_syntax_uid"].get<std::string>().empty());
    EXPECT_FALSE(instance.contains("blob_key"));
    if (instance["sop_instance_uid"] == kInstance1) ++versions_of_1;
  }
  EXPECT_EQ(versions_of_1, 2);
}

TEST_F(ServerTest, UnknownStudyIsNotFoundProblem) {
  ExpectProblem(Get("/api/studies/1.2.3.999"), 404, "urn:cloudfilm:error:not-found");
  ExpectProblem(Get("/api/instances/1.2.3.999"), 404, "urn:cloudfilm:error:not-found");
  ExpectProblem(Get("/api/instances/1.2.3.999/file"), 404, "urn:cloudfilm:error:not-found");
  ExpectProblem(Get("/api/nothing"), 404, "urn:cloudfilm:error:not-found");
}

TEST_F(ServerTest, InstanceListsItsVersionsOldestFirst) {
  const Reply reply = Get(std::string("/api/instances/") + kInstance1);
  ASSERT_EQ(reply.status, 200u) << reply.error;
  const auto versions = reply.Json()["versions"];
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["version"], 1);
  EXPECT_EQ(versions[1]["version"], 2);
  EXPECT_EQ(versions[0]["sha256_hex"], crypto::ToHex(crypto::Sha256(instance1_v1_)));
  EXPECT_EQ(versions[1]["size"], instance1_v2_.size());
}

TEST_F(ServerTest, FileAnswersTheExactBytesOfEachVersion) {
  const std::string target = std::string("/api/instances/") + kInstance1 + "/file";
  const Reply first = Get(target);
  ASSERT_EQ(first.status, 200u) << first.error << first.body;
  EXPECT_EQ(first.body, AsChars(instance1_v1_));
  EXPECT_EQ(first.Header(beast_http::field::content_type), "application/dicom");
  EXPECT_EQ(first.Header(beast_http::field::content_length), std::to_string(instance1_v1_.size()));
  const std::string etag = "\"" + crypto::ToHex(crypto::Sha256(instance1_v1_)) + "\"";
  EXPECT_EQ(first.Header(beast_http::field::etag), etag);
  EXPECT_EQ(first.Header(beast_http::field::content_disposition),
            std::string("attachment; filename=\"") + kInstance1 + ".dcm\"");

  const Reply second = Get(target + "?version=2");
  ASSERT_EQ(second.status, 200u);
  EXPECT_EQ(second.body, AsChars(instance1_v2_));

  ExpectProblem(Get(target + "?version=3"), 404, "urn:cloudfilm:error:not-found");
  ExpectProblem(Get(target + "?version=0"), 400, "urn:cloudfilm:error:invalid-argument");
  ExpectProblem(Get(target + "?version=x"), 400, "urn:cloudfilm:error:invalid-argument");

  beast_http::fields conditional;
  conditional.set(beast_http::field::if_none_match, etag);
  const Reply unchanged = Get(target, conditional);
  EXPECT_EQ(unchanged.status, 304u) << unchanged.error;
  EXPECT_TRUE(unchanged.body.empty());
  EXPECT_EQ(unchanged.Header(beast_http::field::etag), etag);
}

TEST_F(ServerTest, HeadAnswersHeadersWithoutBody) {
  Client client(server_->Port());
  const Reply reply =
      client.Send(verb::head, std::string("/api/instances/") + kInstance1 + "/file");
  ASSERT_EQ(reply.status, 200u) << reply.error;
  EXPECT_EQ(reply.Header(beast_http::field::content_length), std::to_string(instance1_v1_.size()));
  EXPECT_TRUE(reply.body.empty());
  // The connection is still usable: no stray body bytes were sent.
  const Reply next = client.Send(verb::get, "/healthz");
  EXPECT_EQ(next.status, 200u) << next.error;
}

TEST_F(ServerTest, WrongMethodIsMethodNotAllowed) {
  Client client(server_->Port());
  const Reply reply = client.Send(verb::delete_, "/api/studies");
  ExpectProblem(reply, 405, "about:blank");
  EXPECT_EQ(reply.Header(beast_http::field::allow), "GET, HEAD");
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Client client(server_->Port());
  for (int i = 0; i < 5; ++i) {
    const Reply reply = client.Send(verb::get, "/api/system");
    ASSERT_EQ(reply.status, 200u) << reply.error;
  }
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosedAfterTheAnswer) {
  Client client(server_->Port());
  const Reply reply = client.Send(verb::get, "/healthz", {}, 10);
  ASSERT_EQ(reply.status, 200u) << reply.error;
  EXPECT_TRUE(client.ClosedWithin(2s));
}

TEST_F(ServerTest, HeaderTooLargeIsRequestHeaderFieldsTooLarge) {
  Client client(server_->Port());
  client.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(8000, 'a') +
                  "\r\n\r\n");
  const Reply reply = client.Read();
  ExpectProblem(reply, 431, "about:blank");
  EXPECT_TRUE(client.ClosedWithin(3s));
}

TEST_F(ServerTest, BodyTooLargeIsContentTooLarge) {
  Client client(server_->Port());
  client.WriteRaw("POST /api/studies HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\nabc");
  const Reply reply = client.Read();
  ExpectProblem(reply, 413, "urn:cloudfilm:error:too-large");
}

TEST_F(ServerTest, MalformedRequestIsBadRequest) {
  Client client(server_->Port());
  client.WriteRaw("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n");
  const Reply reply = client.Read();
  ExpectProblem(reply, 400, "urn:cloudfilm:error:invalid-argument");
}

TEST_F(ServerTest, SlowClientIsDisconnectedAfterTheReadTimeout) {
  Client client(server_->Port());
  client.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedWithin(4s));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 800ms);
  EXPECT_LT(waited, 3s);
}

TEST_F(ServerTest, SlowlorisIsCutAfterTheReadTimeoutWhateverItsPace) {
  // One header byte every 100 ms keeps each read short: the deadline must
  // hold for the whole header, not per read.
  Client client(server_->Port());
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
  const auto started = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < request.size() && client.WriteRaw(request.substr(sent, 1))) {
    ++sent;
    std::this_thread::sleep_for(100ms);
    if (std::chrono::steady_clock::now() - started > 5s) break;
  }
  EXPECT_TRUE(client.ClosedWithin(3s));
  const auto waited = std::chrono::steady_clock::now() - started;
  // read_timeout is 1 s; the first byte itself may wait up to that too.
  EXPECT_LT(waited, 3s);
  EXPECT_LT(sent, request.size());
  // Meanwhile others were served, and still are.
  EXPECT_EQ(Get("/healthz").status, 200u);
}

TEST_F(ServerTest, RequestsOverTheClientRateGet429ThenRecover) {
  server_->Stop();
  options_.limit_exempt = {};  // the test's client is loopback
  options_.requests_per_second = 2;
  options_.request_burst = 3;
  StartServer();
  Client client(server_->Port());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.Send(verb::get, "/healthz").status, 200u) << i;
  const Reply limited = client.Send(verb::get, "/healthz");
  ExpectProblem(limited, 429, "urn:cloudfilm:error:rate-limited");
  EXPECT_EQ(limited.Header(beast_http::field::retry_after), "1");
  EXPECT_TRUE(client.ClosedWithin(3s));
  std::this_thread::sleep_for(600ms);  // one token back
  EXPECT_EQ(Get("/healthz").status, 200u);
}

TEST_F(ServerTest, ConnectionsOverTheClientLimitGet429AndOverTheServerLimit503) {
  server_->Stop();
  options_.limit_exempt = {};
  options_.max_connections_per_client = 2;
  StartServer();
  std::optional<Client> first(std::in_place, server_->Port());
  Client second(server_->Port());
  ASSERT_EQ(first->Send(verb::get, "/healthz").status, 200u);
  ASSERT_EQ(second.Send(verb::get, "/healthz").status, 200u);
  Client third(server_->Port());
  ExpectProblem(third.Send(verb::get, "/healthz"), 429, "urn:cloudfilm:error:rate-limited");
  first.reset();  // its place frees once the server sees the close
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    Client again(server_->Port());
    served = again.Send(verb::get, "/healthz").status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);

  server_->Stop();
  options_.limit_exempt = {"127.0.0.0/8"};  // exempt clients still count in all
  options_.max_connections = 1;
  StartServer();
  Client only(server_->Port());
  ASSERT_EQ(only.Send(verb::get, "/healthz").status, 200u);
  Client over(server_->Port());
  const Reply full = over.Send(verb::get, "/healthz");
  ExpectProblem(full, 503, "urn:cloudfilm:error:storage-unavailable");
  EXPECT_EQ(full.Header(beast_http::field::retry_after), "1");
}

TEST_F(ServerTest, LoopbackIsExemptFromPerClientLimitsByDefault) {
  server_->Stop();
  options_.requests_per_second = 1;
  options_.request_burst = 1;
  options_.max_connections_per_client = 1;
  StartServer();
  Client one(server_->Port());
  Client two(server_->Port());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(one.Send(verb::get, "/healthz").status, 200u);
    ASSERT_EQ(two.Send(verb::get, "/healthz").status, 200u);
  }
}

TEST_F(ServerTest, BadLimitOptionsDoNotStart) {
  ServerOptions bad = options_;
  bad.limit_exempt = {"not-a-network"};
  Server other(bad, *archive_, *security_.access, nullptr);
  auto started = other.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(CheckClientNetworks({"10.0.0.0/8", "::1"}));
  EXPECT_FALSE(CheckClientNetworks({"10.0.0.0/40"}));
}

TEST_F(ServerTest, StopClosesIdleConnectionsPromptly) {
  Client idle(server_->Port());
  ASSERT_EQ(idle.Send(verb::get, "/healthz").status, 200u);
  const auto started = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(idle.ClosedWithin(1s));
  Client refused(server_->Port());
  EXPECT_FALSE(refused.Connected());
}

TEST_F(ServerTest, StopWhileClientsAreBusyEndsCleanly) {
  std::atomic<int> ok{0};
  std::atomic<int> unexpected{0};
  std::atomic<bool> done{false};
  const uint16_t port = server_->Port();
  const auto hammer = [&] {
    // Bounded: at most 2000 requests or until the server is gone.
    for (int i = 0; i < 2000 && !done.load(); ++i) {
      Client client(port);
      if (!client.Connected()) break;
      const Reply reply = client.Send(verb::get, std::string("/api/studies/") + kStudyA);
      if (reply.status == 200) {
        ++ok;
      } else if (reply.status != 0 && reply.status != 503) {
        ++unexpected;
      }
    }
  };
  std::thread first(hammer);
  std::thread second(hammer);
  std::this_thread::sleep_for(200ms);
  server_->Stop();
  done = true;
  first.join();
  second.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
}

TEST_F(ServerTest, StartTwiceOrOnABadAddressFails) {
  auto again = server_->Start();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  ServerOptions bad = options_;
  bad.bind = "not-an-address";
  Server other(bad, *archive_, *security_.access, nullptr);
  auto started = other.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);

  ServerOptions taken = options_;
  taken.port = server_->Port();
  Server clash(taken, *archive_, *security_.access, nullptr);
  auto clashed = clash.Start();
  ASSERT_FALSE(clashed);
  EXPECT_EQ(clashed.error().code, ErrorCode::kConflict);
}

}  // namespace
}  // namespace cf::http
