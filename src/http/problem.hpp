// SPDX-License-Identifier: Apache-2.0
// RFC 9457 problem details: the one shape every error of the HTTP API takes,
// so that clients (the web apps, scripts, the edge node) handle failures the
// same way everywhere. Types are "about:blank" for plain HTTP conditions
// (405, 431) and "urn:cloudfilm:error:<code>" for our ErrorCodes. Details
// come from cf::Error messages, which never hold patient data.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace cf::http {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// "urn:cloudfilm:error:not-found" for kNotFound, and so on.
std::string ProblemType(ErrorCode code);

// A short human title for the problem type ("Not found").
std::string_view ProblemTitle(ErrorCode code);

// A problem response with the given members.
Response ProblemResponse(unsigned status, std::string_view type, std::string_view title,
                         std::string_view detail);

// The problem for `error`; the status comes from cf::ToHttpStatus. The
// error's reason, attempts_left and retry_after_s become extension members
// of the same names, and retry_after_s also the Retry-After header.
Response ErrorResponse(const Error& error);

// 406: none of the representations the client accepts can be produced;
// `detail` says which ones can.
Response NotAcceptable(std::string_view detail);

}  // namespace cf::http
