// SPDX-License-Identifier: Apache-2.0
// The router decides 404 vs 405, decodes paths and queries once for every
// handler, and is the HTTP boundary's catch-all. These tests drive it with
// parsed Beast requests on a private io_context, without sockets.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>

#include "http/problem.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace {

namespace beast_http = boost::beast::http;
using beast_http::verb;
using boost::asio::awaitable;

Response Dispatch(const Router& router, verb method, std::string_view target) {
  RawRequest request{method, std::string(target), 11};
  boost::asio::io_context io;
  std::optional<Response> response;
  boost::asio::co_spawn(io, router.Dispatch(request),
                        [&](std::exception_ptr failure, Response answer) {
                          if (failure) std::rethrow_exception(failure);
                          response = std::move(answer);
                        });
  io.run();
  EXPECT_TRUE(response.has_value());
  return response.value_or(Response{});
}

// A handler that answers with what it saw: route, parameters, query.
Handler Echo(std::string tag) {
  return [tag](const Request& req) -> awaitable<Response> {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [name, value] : req.params) params[name] = value;
    nlohmann::json query = nlohmann::json::object();
    for (const auto& [name, value] : req.query.Items()) query[name] = value;
    co_return JsonResponse(
        {{"tag", tag}, {"route", req.route}, {"params", params}, {"query", query}});
  };
}

nlohmann::json Body(const Response& response) { return nlohmann::json::parse(response.BodyText()); }

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(verb::get, "/healthz", access::Permission::kPublic, Echo("health"));
    router_.Add(verb::get, "/api/studies", access::Permission::kPublic, Echo("studies"));
    router_.Add(verb::get, "/api/studies/{uid}", access::Permission::kPublic, Echo("study"));
    router_.Add(verb::get, "/api/studies/count", access::Permission::kPublic, Echo("count"));
    router_.Add(verb::get, "/api/instances/{uid}/file", access::Permission::kPublic, Echo("file"));
    router_.Add(verb::post, "/api/upload", access::Permission::kPublic, Echo("upload"));
    router_.Add(verb::get, "/boom", access::Permission::kPublic,
                [](const Request&) -> awaitable<Response> {
                  throw std::runtime_error("broken invariant");
                  co_return Response{};
                });
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoute) {
  const Response response = Dispatch(router_, verb::get, "/healthz");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(Body(response)["tag"], "health");
  EXPECT_EQ(Body(response)["route"], "/healthz");
}

TEST_F(RouterTest, ExtractsAndDecodesPathParameters) {
  const Response response = Dispatch(router_, verb::get, "/api/instances/1.2%2E3/file");
  EXPECT_EQ(response.status, 200u);
  const auto body = Body(response);
  EXPECT_EQ(body["tag"], "file");
  EXPECT_EQ(body["route"], "/api/instances/{uid}/file");
  EXPECT_EQ(body["params"]["uid"], "1.2.3");
}

TEST_F(RouterTest, EncodedSlashStaysInsideItsSegment) {
  const Response response = Dispatch(router_, verb::get, "/api/studies/a%2Fb");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(Body(response)["params"]["uid"], "a/b");
}

TEST_F(RouterTest, LiteralSegmentWinsOverParameter) {
  EXPECT_EQ(Body(Dispatch(router_, verb::get, "/api/studies/count"))["tag"], "count");
  EXPECT_EQ(Body(Dispatch(router_, verb::get, "/api/studies/1.2"))["tag"], "study");
}

TEST_F(RouterTest, DecodesQueryForHandlers) {
  const Response response =
      Dispatch(router_, verb::get, "/api/studies?name=Wang%5EWei+Jr&modality=CT&limit=5");
  const auto body = Body(response);
  EXPECT_EQ(body["query"]["name"], "Wang^Wei Jr");
  EXPECT_EQ(body["query"]["modality"], "CT");
  EXPECT_EQ(body["query"]["limit"], "5");
}

TEST_F(RouterTest, ToleratesTrailingAndDoubledSlashes) {
  EXPECT_EQ(Dispatch(router_, verb::get, "/api/studies/").status, 200u);
  EXPECT_EQ(Body(Dispatch(router_, verb::get, "//api//studies"))["tag"], "studies");
}

TEST_F(RouterTest, UnknownPathIsNotFoundProblem) {
  for (const char* target : {"/nope", "/api/studies/1.2/extra", "/api", "/"}) {
    const Response response = Dispatch(router_, verb::get, target);
    EXPECT_EQ(response.status, 404u) << target;
    EXPECT_EQ(response.content_type, kProblemContentType);
    EXPECT_EQ(Body(response)["type"], "urn:cloudfilm:error:not-found");
  }
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowedWithAllow) {
  const Response response = Dispatch(router_, verb::delete_, "/api/studies/1.2");
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.content_type, kProblemContentType);
  EXPECT_EQ(response.Header("Allow").value_or(""), "GET, HEAD");
  EXPECT_EQ(Body(response)["status"], 405);

  const Response post_only = Dispatch(router_, verb::get, "/api/upload");
  EXPECT_EQ(post_only.status, 405u);
  EXPECT_EQ(post_only.Header("allow").value_or(""), "POST");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  const Response response = Dispatch(router_, verb::head, "/api/studies/1.2");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(Body(response)["tag"], "study");
}

TEST_F(RouterTest, MalformedEscapesAreBadRequest) {
  const Response path = Dispatch(router_, verb::get, "/api/studies/1.2%G0");
  EXPECT_EQ(path.status, 400u);
  EXPECT_EQ(Body(path)["type"], "urn:cloudfilm:error:invalid-argument");

  const Response query = Dispatch(router_, verb::get, "/api/studies?name=%");
  EXPECT_EQ(query.status, 400u);
  EXPECT_NE(Body(query)["detail"].get<std::string>().find("'name'"), std::string::npos);
}

TEST_F(RouterTest, NonPathTargetIsBadRequest) {
  EXPECT_EQ(Dispatch(router_, verb::get, "*").status, 400u);
}

TEST_F(RouterTest, HandlerExceptionBecomesInternalErrorProblem) {
  const Response response = Dispatch(router_, verb::get, "/boom");
  EXPECT_EQ(response.status, 500u);
  EXPECT_EQ(response.content_type, kProblemContentType);
  const auto body = Body(response);
  EXPECT_EQ(body["type"], "urn:cloudfilm:error:internal");
  EXPECT_EQ(body["detail"], "internal error");  // the exception text stays in the log
}

}  // namespace
}  // namespace cf::http
