// SPDX-License-Identifier: Apache-2.0
// The web apps' pages and assets: which file each route serves, the
// headers that keep a share token in its page (CSP, no referrer, no
// framing), gzip and ETags for phones on slow links, names that cannot
// leave the web root, and a new build being picked up without a restart.
#include "http/web_routes.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <fstream>
#include <optional>
#include <string>

#include "http/static_files.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
namespace fs = std::filesystem;
using beast_http::verb;

void Write(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string Text(const Bytes& bytes) { return std::string(AsChars(bytes)); }

std::string Gunzip(const Bytes& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buffer[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

class WebRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(archive_.Open(dir_.Path() / "archive"));
    root_ = dir_.Path() / "dist";
    Write(root_ / "index.html", "<!doctype html><title>index</title>");
    Write(root_ / "patient.html", "<!doctype html><title>patient</title>");
    script_.reserve(200'000);
    for (int i = 0; script_.size() < 200'000; ++i) {
      script_ += "export const v" + std::to_string(i) + " = 'cloudfilm';\n";
    }
    Write(root_ / "assets" / "patient-Ab12.js", script_);
    Write(dir_.Path() / "secret.txt", "not for the web");
    web_.emplace(root_);
    context_.emplace(ApiContext{*archive_.archive, pool_});
    context_->web = &*web_;
    AddWebRoutes(router_, *context_);
  }

  Response Get(std::string_view target,
               std::initializer_list<std::pair<std::string, std::string>> headers = {}) {
    RawRequest request{verb::get, std::string(target), 11};
    for (const auto& [name, value] : headers) request.set(name, value);
    boost::asio::io_context io;
    std::optional<Response> response;
    boost::asio::co_spawn(io, router_.Dispatch(request),
                          [&](std::exception_ptr failure, Response answer) {
                            if (failure) std::rethrow_exception(failure);
                            response = std::move(answer);
                          });
    io.run();
    return response.value_or(Response{});
  }

  static std::string Header(const Response& r, std::string_view name) {
    return std::string(r.Header(name).value_or(""));
  }

  testing::TempDir dir_;
  testing::TestArchive archive_;
  fs::path root_;
  std::string script_;
  boost::asio::thread_pool pool_{1};
  std::optional<StaticFiles> web_;
  std::optional<ApiContext> context_;
  Router router_;
};

TEST_F(WebRoutesTest, TheShareUrlServesThePatientAppWithHeadersThatKeepTheTokenIn) {
  const Response r = Get("/s/R6y0Hz_Wf1JwitlNL-sqUA");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(Text(r.body), "<!doctype html><title>patient</title>");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Header(r, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
  const std::string csp = Header(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval'"), csp.find("wasm-unsafe-eval'") + 5) << "no plain eval";
  EXPECT_EQ(Text(Get("/").body), "<!doctype html><title>index</title>");
}

TEST_F(WebRoutesTest, AssetsAreGzippedForClientsThatAcceptItAndCachedForever) {
  const Response plain = Get("/assets/patient-Ab12.js");
  EXPECT_EQ(plain.status, 200u);
  EXPECT_EQ(Text(plain.body), script_);
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(plain, "Content-Encoding"), "");
  EXPECT_EQ(Header(plain, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(plain, "Content-Security-Policy"), "");

  const Response gz = Get("/assets/patient-Ab12.js", {{"Accept-Encoding", "gzip, br"}});
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(gz, "Vary"), "Accept-Encoding");
  EXPECT_LT(gz.body.size(), script_.size() / 5);
  EXPECT_EQ(Gunzip(gz.body), script_);
  EXPECT_EQ(Header(gz, "ETag"), Header(plain, "ETag"));

  const Response again = Get("/assets/patient-Ab12.js", {{"If-None-Match", Header(plain, "ETag")}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(WebRoutesTest, ANewBuildIsServedWithoutARestart) {
  const std::string before = Header(Get("/s/t"), "ETag");
  Write(root_ / "patient.html", "<!doctype html><title>patient, rebuilt</title>");
  const Response r = Get("/s/t");
  EXPECT_EQ(Text(r.body), "<!doctype html><title>patient, rebuilt</title>");
  EXPECT_NE(Header(r, "ETag"), before);
}

TEST_F(WebRoutesTest, NamesOutsideTheAssetsAreRefused) {
  for (const char* target :
       {"/assets/..%2Fsecret.txt", "/assets/%2E%2E%2F..%2Fsecret.txt", "/assets/.hidden",
        "/assets/a%00b.js", "/assets/..", "/assets/a%2F..%2F..%2Fsecret.txt"}) {
    const Response r = Get(target);
    EXPECT_GE(r.status, 400u) << target;
    EXPECT_LT(r.status, 500u) << target;
    EXPECT_EQ(Text(r.body).find("not for the web"), std::string::npos) << target;
  }
  EXPECT_EQ(Get("/assets/missing.js").status, 404u);
}

TEST_F(WebRoutesTest, AnAppThatIsNotBuiltIsA404ThatSaysSo) {
  const Response r = Get("/viewer");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(Text(r.body).find("the web apps are not installed on this server"), std::string::npos);
}

TEST(StaticFilesTest, OnlyPlainRelativeNamesAreAccepted) {
  EXPECT_TRUE(IsSafeRelativeName("assets/index-B3WUO3Ig.js"));
  EXPECT_TRUE(IsSafeRelativeName("patient.html"));
  for (const char* bad : {"", "/etc/passwd", "../x", "assets/../x", "a//b", "a/", ".env",
                          "assets/.x", "a b.js", "a\\b", "a%2Fb"}) {
    EXPECT_FALSE(IsSafeRelativeName(bad)) << bad;
  }
}

TEST(StaticFilesTest, ContentTypesByExtension) {
  EXPECT_EQ(ContentTypeOf("a.wasm"), "application/wasm");
  EXPECT_EQ(ContentTypeOf("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("a.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeOf("a.bin"), "application/octet-stream");
}

TEST(StaticFilesTest, WithoutARootNothingIsServed) {
  StaticFiles none{""};
  auto file = none.Get("index.html");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cf::http
