// SPDX-License-Identifier: Apache-2.0
#include "http/fhir_outcome.hpp"

#include <nlohmann/json.hpp>

#include <string>

#include "http/problem.hpp"

namespace cf::http {

bool IsFhirTarget(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  return target == "/fhir" || target.starts_with("/fhir/");
}

std::string_view FhirIssueCode(unsigned status) {
  switch (status) {
    case 400:
    case 422:
      return "invalid";
    case 401:
      return "login";
    case 403:
      return "forbidden";
    case 404:
    case 410:
      return "not-found";
    case 405:
    case 406:
    case 415:
      return "not-supported";
    case 409:
    case 412:
      return "conflict";
    case 413:
    case 431:
      return "too-long";
    case 429:
      return "throttled";
    case 503:
    case 504:
      return "transient";
    default:
      return status >= 500 ? "exception" : "processing";
  }
}

Response ToOperationOutcome(Response response) {
  if (response.content_type != kProblemContentType || response.stream) return response;
  const auto problem = nlohmann::json::parse(response.BodyText(), nullptr, false);
  if (!problem.is_object()) return response;
  const std::string type = problem.value("type", "");
  const std::string title = problem.value("title", "");
  const std::string detail = problem.value("detail", "");
  nlohmann::json issue = {
      {"severity", response.status >= 500 ? "fatal" : "error"},
      {"code", FhirIssueCode(response.status)},
  };
  nlohmann::json details = nlohmann::json::object();
  constexpr std::string_view kOurs = "urn:cloudfilm:error:";
  if (type.starts_with(kOurs)) {
    details["coding"] = nlohmann::json::array(
        {{{"system", "urn:cloudfilm:error"}, {"code", type.substr(kOurs.size())}}});
  }
  if (!title.empty()) details["text"] = title;
  if (!details.empty()) issue["details"] = std::move(details);
  issue["diagnostics"] = detail.empty() ? title : detail;
  const nlohmann::json outcome = {{"resourceType", "OperationOutcome"},
                                  {"issue", nlohmann::json::array({std::move(issue)})}};
  const std::string text = outcome.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body.assign(reinterpret_cast<const std::byte*>(text.data()),
                       reinterpret_cast<const std::byte*>(text.data()) + text.size());
  response.content_type = kFhirContentType;
  return response;
}

}  // namespace cf::http
