// SPDX-License-Identifier: Apache-2.0
// Every error of the API must reach clients as RFC 9457 problem JSON with
// the status that cf::ToHttpStatus assigns.
#include "http/problem.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cf::http {
namespace {

TEST(ProblemTest, ErrorBecomesProblemJsonWithMappedStatus) {
  const Response response = ErrorResponse({ErrorCode::kNotFound, "no such study"});
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.content_type, "application/problem+json");
  const auto body = nlohmann::json::parse(response.BodyText());
  EXPECT_EQ(body["type"], "urn:cloudfilm:error:not-found");
  EXPECT_EQ(body["title"], "Not found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "no such study");
}

// What clients branch on travels as members, not inside the detail text.
TEST(ProblemTest, ReasonAttemptsAndRetryBecomeMembersAndRetryAfter) {
  Error wrong{ErrorCode::kUnauthenticated, "wrong birth-date; 2 attempts left", "wrong-factor"};
  wrong.attempts_left = 2;
  const Response refused = ErrorResponse(wrong);
  EXPECT_EQ(refused.status, 401u);
  auto body = nlohmann::json::parse(refused.BodyText());
  EXPECT_EQ(body["reason"], "wrong-factor");
  EXPECT_EQ(body["attempts_left"], 2);
  EXPECT_FALSE(body.contains("retry_after_s"));
  EXPECT_FALSE(refused.Header("Retry-After"));

  const Response locked = ErrorResponse(RetryLater("this share is locked", 900, "share-locked"));
  EXPECT_EQ(locked.status, 429u);
  body = nlohmann::json::parse(locked.BodyText());
  EXPECT_EQ(body["detail"], "this share is locked; retry in 900 s");
  EXPECT_EQ(body["reason"], "share-locked");
  EXPECT_EQ(body["retry_after_s"], 900);
  EXPECT_FALSE(body.contains("attempts_left"));
  EXPECT_EQ(locked.Header("Retry-After").value_or(""), "900");

  // Plain errors carry none of them.
  body = nlohmann::json::parse(ErrorResponse({ErrorCode::kNotFound, "x"}).BodyText());
  EXPECT_FALSE(body.contains("reason"));
  EXPECT_FALSE(body.contains("attempts_left"));
  EXPECT_FALSE(body.contains("retry_after_s"));
}

TEST(ProblemTest, EveryErrorCodeMapsToItsHttpStatus) {
  for (const ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kInvalidDicom, ErrorCode::kNotFound,
        ErrorCode::kConflict, ErrorCode::kTooLarge, ErrorCode::kPermissionDenied,
        ErrorCode::kStorageUnavailable, ErrorCode::kTimeout, ErrorCode::kUnsupported,
        ErrorCode::kInternal}) {
    const Response response = ErrorResponse({code, "x"});
    EXPECT_EQ(static_cast<int>(response.status), ToHttpStatus(code));
    const auto body = nlohmann::json::parse(response.BodyText());
    EXPECT_EQ(body["type"], ProblemType(code));
    EXPECT_EQ(body["status"], ToHttpStatus(code));
    EXPECT_FALSE(body["title"].get<std::string>().empty());
  }
}

TEST(ProblemTest, EscapesDetailAndOmitsItWhenEmpty) {
  const Response quoted = ProblemResponse(400, "about:blank", "Bad Request", "a \"b\"\n\\c");
  EXPECT_EQ(nlohmann::json::parse(quoted.BodyText())["detail"], "a \"b\"\n\\c");

  const Response bare = ProblemResponse(405, "about:blank", "Method Not Allowed", "");
  const auto body = nlohmann::json::parse(bare.BodyText());
  EXPECT_FALSE(body.contains("detail"));
  EXPECT_EQ(body["type"], "about:blank");
}

}  // namespace
}  // namespace cf::http
