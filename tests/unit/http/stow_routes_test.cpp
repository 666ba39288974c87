// SPDX-License-Identifier: Apache-2.0
// STOW-RS end to end over a real socket: a Server over a real archive in a
// temporary folder, and a raw HTTP client that can send a header alone, a
// body in pieces, or nothing more (a slow client). Checks the DICOM JSON
// answer, that refused requests store nothing, the upload size limit
// before and during the body, "Expect: 100-continue", the read deadline on
// a trickling upload, and that no spool file is left behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "http_client.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"
#include "test_security.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using cf::testing::DicomBuilder;
using namespace std::chrono_literals;

constexpr const char* kStudy = "1.2.826.0.7.1";
constexpr const char* kSeries = "1.2.826.0.7.1.1";
constexpr const char* kBoundary = "stow-test-boundary";
constexpr size_t kMaxUpload = 64 * 1024;

using testing::Client;
using testing::kTestToken;
using testing::Reply;
using testing::TestSecurity;

std::string Multipart(const std::vector<Bytes>& parts) {
  std::string body;
  for (const Bytes& part : parts) {
    body += std::string("--") + kBoundary + "\r\nContent-Type: application/dicom\r\n\r\n";
    body += AsChars(part);
    body += "\r\n";
  }
  body += std::string("--") + kBoundary + "--\r\n";
  return body;
}

std::string Header(std::string_view target, std::string_view extra, std::string_view type = {}) {
  std::string header = "POST " + std::string(target) + " HTTP/1.1\r\nHost: test.local:8042\r\n";
  header += "Authorization: Bearer " + std::string(kTestToken) + "\r\n";
  header += "Content-Type: ";
  header += type.empty() ? std::string("multipart/related; type=\"application/dicom\"; boundary=") +
                               kBoundary
                         : std::string(type);
  header += "\r\n";
  header += extra;
  header += "\r\n";
  return header;
}

std::string Request(std::string_view target, const std::string& body) {
  return Header(target, "Content-Length: " + std::to_string(body.size()) + "\r\n") + body;
}

class StowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_archive_.Open(dir_.Path() / "data"));
    options_.port = 0;
    options_.read_timeout = 1s;
    options_.idle_timeout = 2s;
    options_.max_body_bytes = 4096;
    options_.max_upload_bytes = kMaxUpload;
    options_.spool_dir = dir_.Path() / "spool";
    ASSERT_TRUE(security_.Open(dir_.Path() / "security"));
    server_ =
        std::make_unique<Server>(options_, *archive_, *security_.access, security_.audit.get());
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  Reply Send(const std::string& request) {
    Client client(server_->Port());
    EXPECT_TRUE(client.Connected());
    EXPECT_TRUE(client.WriteRaw(request));
    return client.Read();
  }

  int64_t Instances() { return archive_->Totals()->instances; }

  bool SpoolIsEmpty() { return std::filesystem::is_empty(options_.spool_dir); }

  static Bytes Object(std::string sop, std::string study = kStudy) {
    return DicomBuilder().Study(std::move(study)).Series(kSeries).Sop(std::move(sop)).Build();
  }

  cf::testing::TempDir dir_;
  cf::testing::TestArchive test_archive_;
  std::unique_ptr<archive::Archive>& archive_ = test_archive_.archive;
  TestSecurity security_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
};

TEST_F(StowTest, StoresEveryPartAndAnswersWithDicomJson) {
  const Bytes first = Object("1.2.826.0.7.1.1.1");
  const Bytes second = Object("1.2.826.0.7.1.1.2");
  const Reply reply = Send(Request("/dicom-web/studies", Multipart({first, second})));
  ASSERT_EQ(reply.status, 200u) << reply.body;
  EXPECT_EQ(reply.Header(beast_http::field::content_type), "application/dicom+json");
  const auto json = reply.Json();
  EXPECT_EQ(json["00081190"]["Value"][0],
            std::string("http://test.local:8042/dicom-web/studies/") + kStudy);
  ASSERT_EQ(json["00081199"]["Value"].size(), 2u);
  const auto& item = json["00081199"]["Value"][1];
  EXPECT_EQ(item["00081155"]["Value"][0], "1.2.826.0.7.1.1.2");
  EXPECT_EQ(item["00081150"]["vr"], "UI");
  EXPECT_EQ(item["00081190"]["Value"][0], std::string("http://test.local:8042/dicom-web/studies/") +
                                              kStudy + "/series/" + kSeries +
                                              "/instances/1.2.826.0.7.1.1.2");
  EXPECT_FALSE(json.contains("00081198"));
  EXPECT_EQ(*archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.2.826.0.7.1.1.1"), first);
  EXPECT_EQ(*archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.2.826.0.7.1.1.2"),
            second);
  EXPECT_TRUE(SpoolIsEmpty());
}

TEST_F(StowTest, AStudyInThePathRefusesObjectsOfOtherStudies) {
  const Bytes other = Object("1.2.826.0.8.1.1.1", "1.2.826.0.8.1");
  const Reply reply =
      Send(Request(std::string("/dicom-web/studies/") + kStudy, Multipart({other})));
  ASSERT_EQ(reply.status, 409u) << reply.body;
  const auto json = reply.Json();
  ASSERT_EQ(json["00081198"]["Value"].size(), 1u);
  EXPECT_EQ(json["00081198"]["Value"][0]["00081197"]["Value"][0], 0xA900);
  EXPECT_EQ(json["00081198"]["Value"][0]["00081155"]["Value"][0], "1.2.826.0.8.1.1.1");
  EXPECT_EQ(Instances(), 0);
}

TEST_F(StowTest, ANewVersionIsAWarningAndAGarbagePartAFailure) {
  ASSERT_TRUE(archive_->Ingest(Object("1.2.826.0.7.1.1.1"), {"test", "", "default"}));
  const Bytes changed = DicomBuilder()
                            .Study(kStudy)
                            .Series(kSeries)
                            .Sop("1.2.826.0.7.1.1.1")
                            .Set("StudyDescription", "changed")
                            .Build();
  const Reply reply = Send(Request(
      "/dicom-web/studies",
      Multipart({changed, Bytes(AsBytes("not DICOM").begin(), AsBytes("not DICOM").end())})));
  ASSERT_EQ(reply.status, 202u) << reply.body;
  const auto json = reply.Json();
  EXPECT_EQ(json["00081199"]["Value"][0]["00081196"]["Value"][0], 0xB000);
  EXPECT_EQ(json["00081198"]["Value"][0]["00081197"]["Value"][0], 0xC000);
  EXPECT_FALSE(json["00081198"]["Value"][0].contains("00081155"));  // unreadable: no UIDs
}

TEST_F(StowTest, AMalformedBodyStoresNothing) {
  std::string body = Multipart({Object("1.2.826.0.7.1.1.1"), Object("1.2.826.0.7.1.1.2")});
  body.resize(body.size() - 40);  // cut into the second part
  const Reply reply = Send(Request("/dicom-web/studies", body));
  ASSERT_EQ(reply.status, 400u) << reply.body;
  EXPECT_EQ(reply.Header(beast_http::field::content_type), "application/problem+json");
  EXPECT_NE(reply.Json()["detail"].get<std::string>().find("part 2"), std::string::npos);
  EXPECT_EQ(Instances(), 0);
}

TEST_F(StowTest, AWrongContentTypeIsRefusedBeforeTheBodyIsSent) {
  Client client(server_->Port());
  ASSERT_TRUE(client.WriteRaw(
      Header("/dicom-web/studies", "Content-Length: 10000\r\n", "application/dicom+json")));
  const Reply reply = client.Read();  // no body sent at all
  EXPECT_EQ(reply.status, 400u) << reply.body;
  EXPECT_NE(reply.body.find("not multipart/related"), std::string::npos);

  Client json(server_->Port());
  ASSERT_TRUE(
      json.WriteRaw(Header("/dicom-web/studies", "Content-Length: 10000\r\n",
                           "multipart/related; type=\"application/dicom+json\"; boundary=x")));
  const Reply unsupported = json.Read();
  EXPECT_EQ(unsupported.status, 415u) << unsupported.body;
  EXPECT_NE(unsupported.body.find("metadata and bulk data"), std::string::npos);
}

TEST_F(StowTest, ExpectContinueGetsA100BeforeTheBody) {
  const std::string body = Multipart({Object("1.2.826.0.7.1.1.1")});
  Client client(server_->Port());
  ASSERT_TRUE(client.WriteRaw(
      Header("/dicom-web/studies",
             "Content-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n")));
  EXPECT_EQ(client.Read().status, 100u);
  ASSERT_TRUE(client.WriteRaw(body));
  EXPECT_EQ(client.Read().status, 200u);
  EXPECT_EQ(Instances(), 1);
}

TEST_F(StowTest, ADeclaredSizeOverTheLimitGets413WithoutReadingTheBody) {
  Client client(server_->Port());
  ASSERT_TRUE(client.WriteRaw(Header(
      "/dicom-web/studies",
      "Content-Length: " + std::to_string(kMaxUpload + 1) + "\r\nExpect: 100-continue\r\n")));
  const Reply reply = client.Read();
  EXPECT_EQ(reply.status, 413u) << reply.body;
  EXPECT_NE(reply.body.find("max_upload_bytes"), std::string::npos);
}

TEST_F(StowTest, AChunkedUploadOverTheLimitGets413AndStoresNothing) {
  Client client(server_->Port());
  ASSERT_TRUE(client.WriteRaw(Header("/dicom-web/studies", "Transfer-Encoding: chunked\r\n")));
  const std::string first = Multipart({Object("1.2.826.0.7.1.1.1")});
  std::string chunks;
  const auto chunk = [&chunks](const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    chunks += size + data + "\r\n";
  };
  chunk(first.substr(0, first.size() - 20));  // the close delimiter never comes
  chunk(std::string(kMaxUpload, 'x'));
  chunks += "0\r\n\r\n";
  client.WriteRaw(chunks);  // may fail part way: the server stops reading
  EXPECT_EQ(client.Read().status, 413u);
  EXPECT_EQ(Instances(), 0);
  EXPECT_TRUE(SpoolIsEmpty());
}

TEST_F(StowTest, AChunkedUploadUnderTheLimitIsStored) {
  const std::string body = Multipart({Object("1.2.826.0.7.1.1.1")});
  std::string request = Header("/dicom-web/studies", "Transfer-Encoding: chunked\r\n");
  for (size_t at = 0; at < body.size(); at += 1000) {
    const std::string piece = body.substr(at, 1000);
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    request += size + piece + "\r\n";
  }
  request += "0\r\n\r\n";
  EXPECT_EQ(Send(request).status, 200u);
  EXPECT_EQ(Instances(), 1);
}

TEST_F(StowTest, ATricklingUploadIsCutOffByTheReadDeadline) {
  Client client(server_->Port());
  ASSERT_TRUE(client.WriteRaw(Header("/dicom-web/studies", "Content-Length: 10000\r\n")));
  ASSERT_TRUE(client.WriteRaw(std::string("--") + kBoundary + "\r\n"));
  // Nothing more: read_timeout is 1 s per chunk of the body.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedWithin(4s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(Instances(), 0);
  EXPECT_TRUE(SpoolIsEmpty());
  // The server still serves others.
  EXPECT_EQ(Send(Request("/dicom-web/studies", Multipart({Object("1.2.826.0.7.1.1.9")}))).status,
            200u);
}

// A body of declared length is read from the socket straight into its
// memory: the bytes that came with the header, the rest in pieces, and not
// a byte more: the next request on the connection, sent right behind the
// body's last byte, is answered too.
TEST_F(StowTest, ABodyInPiecesWithTheNextRequestRightBehindIt) {
  const std::string first = Request("/dicom-web/studies", Multipart({Object("1.2.826.0.7.1.1.4")}));
  const std::string second =
      Request("/dicom-web/studies", Multipart({Object("1.2.826.0.7.1.1.5")}));
  const size_t header_end = first.find("\r\n\r\n") + 4;
  Client client(server_->Port());
  ASSERT_TRUE(client.Connected());
  // The header with the body's first 10 bytes, then the body in three
  // pieces, the last one with the whole next request behind it.
  ASSERT_TRUE(client.WriteRaw(first.substr(0, header_end + 10)));
  std::this_thread::sleep_for(50ms);
  const size_t third = (first.size() - header_end - 10) / 3;
  ASSERT_TRUE(client.WriteRaw(first.substr(header_end + 10, third)));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(client.WriteRaw(first.substr(header_end + 10 + third, third)));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(client.WriteRaw(first.substr(header_end + 10 + 2 * third) + second));
  const Reply one = client.Read();
  const Reply two = client.Read();
  EXPECT_EQ(one.status, 200u) << one.body;
  EXPECT_EQ(two.status, 200u) << two.body;
  EXPECT_EQ(*archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.2.826.0.7.1.1.4"),
            Object("1.2.826.0.7.1.1.4"));
  EXPECT_EQ(*archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.2.826.0.7.1.1.5"),
            Object("1.2.826.0.7.1.1.5"));
}

// A client that goes away before its Content-Length has come stores nothing.
TEST_F(StowTest, AnUploadCutShortStoresNothing) {
  const std::string request =
      Request("/dicom-web/studies", Multipart({Object("1.2.826.0.7.1.1.6")}));
  {
    Client client(server_->Port());
    ASSERT_TRUE(client.WriteRaw(request.substr(0, request.size() - 40)));
    std::this_thread::sleep_for(100ms);
  }  // closed
  EXPECT_EQ(Send(Request("/dicom-web/studies", Multipart({Object("1.2.826.0.7.1.1.7")}))).status,
            200u);
  EXPECT_EQ(Instances(), 1);
  EXPECT_TRUE(archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.2.826.0.7.1.1.7"));
  EXPECT_FALSE(archive_->ReadInstance(cf::catalog::Scope::Of("default"), "1.2.826.0.7.1.1.6"));
}

// The read deadline is per chunk of the body, not per read: a client that
// sends a byte every 100 ms (each read brings something) still has to
// deliver the chunk within read_timeout (1 s here), and is cut off.
TEST_F(StowTest, AnUploadSentAByteAtATimeIsCutOffByTheReadDeadline) {
  Client client(server_->Port());
  ASSERT_TRUE(client.WriteRaw(Header("/dicom-web/studies", "Content-Length: 10000\r\n")));
  const auto started = std::chrono::steady_clock::now();
  bool cut_off = false;
  // Once the server has closed, a write is answered by a reset and the
  // write after it fails.
  for (int i = 0; i < 40 && !cut_off; ++i) {
    cut_off = !client.WriteRaw("-");
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(cut_off);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(Instances(), 0);
}

TEST_F(StowTest, OtherRequestsKeepTheirInMemoryBodyLimit) {
  const std::string big(options_.max_body_bytes + 1, 'x');
  const Reply reply =
      Send("POST /api/system HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(big.size()) +
           "\r\n\r\n" + big);
  EXPECT_EQ(reply.status, 413u) << reply.body;
  const Reply small = Send("POST /api/system HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(small.status, 405u) << small.body;
}

TEST_F(StowTest, AnEncodedPathIsStoredFromMemory) {
  // Not recognised as an upload before routing: read into memory (under
  // max_body_bytes), and still handled by the STOW-RS route.
  const Bytes object =
      DicomBuilder().Study(kStudy).Series(kSeries).Sop("1.2.826.0.7.1.1.3").Build();
  const std::string body = Multipart({object});
  ASSERT_LT(body.size(), options_.max_body_bytes);
  EXPECT_EQ(Send(Request("/dicom-web/%73tudies", body)).status, 200u);
  EXPECT_EQ(Instances(), 1);
}

}  // namespace
}  // namespace cf::http
