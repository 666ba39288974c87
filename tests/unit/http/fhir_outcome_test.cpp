// SPDX-License-Identifier: Apache-2.0
// Problem JSON turned into FHIR OperationOutcome for the /fhir endpoints.
#include "http/fhir_outcome.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/problem.hpp"
#include "http/response.hpp"

namespace cf::http {
namespace {

nlohmann::json Body(const Response& response) { return nlohmann::json::parse(response.BodyText()); }

TEST(FhirOutcomeTest, AnErrorBecomesAnOperationOutcomeWithTheSameStatus) {
  Response problem = ErrorResponse({ErrorCode::kNotFound, "unknown report"});
  problem.SetHeader("WWW-Authenticate", "Bearer realm=\"cloudfilm\"");
  const Response out = ToOperationOutcome(problem);
  EXPECT_EQ(out.status, 404u);
  EXPECT_EQ(out.content_type, "application/fhir+json");
  EXPECT_EQ(out.Header("WWW-Authenticate").value_or(""), "Bearer realm=\"cloudfilm\"");
  const auto body = Body(out);
  EXPECT_EQ(body["resourceType"], "OperationOutcome");
  ASSERT_EQ(body["issue"].size(), 1u);
  const auto& issue = body["issue"][0];
  EXPECT_EQ(issue["severity"], "error");
  EXPECT_EQ(issue["code"], "not-found");
  EXPECT_EQ(issue["diagnostics"], "unknown report");
  EXPECT_EQ(issue["details"]["coding"][0]["system"], "urn:cloudfilm:error");
  EXPECT_EQ(issue["details"]["coding"][0]["code"], "not-found");
  EXPECT_EQ(issue["details"]["text"], Body(problem)["title"]);
}

TEST(FhirOutcomeTest, ServerErrorsAreFatalAndPlainHttpProblemsKeepTheirTitle) {
  const auto fatal = Body(ToOperationOutcome(ErrorResponse({ErrorCode::kInternal, "boom"})));
  EXPECT_EQ(fatal["issue"][0]["severity"], "fatal");
  EXPECT_EQ(fatal["issue"][0]["code"], "exception");
  const Response plain = ToOperationOutcome(ProblemResponse(431, "about:blank", "Too Large", ""));
  const auto body = Body(plain);
  EXPECT_EQ(plain.status, 431u);
  EXPECT_EQ(body["issue"][0]["code"], "too-long");
  EXPECT_EQ(body["issue"][0]["diagnostics"], "Too Large");
  EXPECT_FALSE(body["issue"][0]["details"].contains("coding"));
}

TEST(FhirOutcomeTest, OtherResponsesAreLeftAlone) {
  const Response ok = JsonResponse({{"id", "r1"}}, 201);
  const Response out = ToOperationOutcome(ok);
  EXPECT_EQ(out.content_type, ok.content_type);
  EXPECT_EQ(out.BodyText(), ok.BodyText());
}

TEST(FhirOutcomeTest, IssueCodesAndTargets) {
  EXPECT_EQ(FhirIssueCode(400), "invalid");
  EXPECT_EQ(FhirIssueCode(401), "login");
  EXPECT_EQ(FhirIssueCode(403), "forbidden");
  EXPECT_EQ(FhirIssueCode(405), "not-supported");
  EXPECT_EQ(FhirIssueCode(409), "conflict");
  EXPECT_EQ(FhirIssueCode(413), "too-long");
  EXPECT_EQ(FhirIssueCode(415), "not-supported");
  EXPECT_EQ(FhirIssueCode(429), "throttled");
  EXPECT_EQ(FhirIssueCode(503), "transient");
  EXPECT_TRUE(IsFhirTarget("/fhir/DiagnosticReport"));
  EXPECT_TRUE(IsFhirTarget("/fhir"));
  EXPECT_TRUE(IsFhirTarget("/fhir?x=1"));
  EXPECT_FALSE(IsFhirTarget("/fhirx"));
  EXPECT_FALSE(IsFhirTarget("/api/reports"));
}

}  // namespace
}  // namespace cf::http
