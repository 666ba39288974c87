// SPDX-License-Identifier: Apache-2.0
// Building problem+json bodies with nlohmann::json, which escapes any detail
// text correctly (and replaces invalid UTF-8 rather than throwing while we
// are already reporting an error).
#include "http/problem.hpp"

#include <nlohmann/json.hpp>

#include "http/response.hpp"

namespace cf::http {

std::string ProblemType(ErrorCode code) {
  std::string type = "urn:cloudfilm:error:";
  type.append(ToString(code));
  return type;
}

std::string_view ProblemTitle(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "Invalid argument";
    case ErrorCode::kInvalidDicom:
      return "Invalid DICOM";
    case ErrorCode::kNotFound:
      return "Not found";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kTooLarge:
      return "Too large";
    case ErrorCode::kUnauthenticated:
      return "Unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "Permission denied";
    case ErrorCode::kRateLimited:
      return "Too many requests";
    case ErrorCode::kStorageUnavailable:
      return "Storage unavailable";
    case ErrorCode::kTimeout:
      return "Timeout";
    case ErrorCode::kUnsupported:
      return "Unsupported";
    case ErrorCode::kInternal:
      return "Internal error";
  }
  return "Internal error";
}

namespace {

nlohmann::json ProblemBody(unsigned status, std::string_view type, std::string_view title,
                           std::string_view detail) {
  nlohmann::json body = {
      {"type", type},
      {"title", title},
      {"status", status},
  };
  if (!detail.empty()) body["detail"] = detail;
  return body;
}

Response ProblemOf(const nlohmann::json& body, unsigned status) {
  Response response = JsonResponse(body, status);
  response.content_type = kProblemContentType;
  return response;
}

}  // namespace

Response ProblemResponse(unsigned status, std::string_view type, std::string_view title,
                         std::string_view detail) {
  return ProblemOf(ProblemBody(status, type, title, detail), status);
}

Response NotAcceptable(std::string_view detail) {
  return ProblemResponse(406, ProblemType(ErrorCode::kUnsupported), "Not acceptable", detail);
}

Response ErrorResponse(const Error& error) {
  const auto status = static_cast<unsigned>(ToHttpStatus(error.code));
  nlohmann::json body =
      ProblemBody(status, ProblemType(error.code), ProblemTitle(error.code), error.message);
  if (!error.reason.empty()) body["reason"] = error.reason;
  if (error.attempts_left >= 0) body["attempts_left"] = error.attempts_left;
  if (error.retry_after_s >= 0) body["retry_after_s"] = error.retry_after_s;
  Response response = ProblemOf(body, status);
  if (error.retry_after_s >= 0) {
    response.SetHeader("Retry-After", std::to_string(error.retry_after_s));
  }
  return response;
}

}  // namespace cf::http
