// SPDX-License-Identifier: Apache-2.0
// Errors of the FHIR R4 endpoints (/fhir/...) as a FHIR client expects
// them: an OperationOutcome resource (application/fhir+json) with the same
// HTTP status, rather than the RFC 9457 problem JSON of the rest of the
// API. The problem is translated, so that every refusal (routing,
// authentication, permission, CSRF, rate and size limits, the handler's
// own) keeps one source: issue.severity is "error" ("fatal" for a 5xx),
// issue.code the FHIR issue type of the status (invalid, login, forbidden,
// not-found, conflict, too-long, throttled, ...), issue.diagnostics the
// problem's detail, and issue.details our error code
// (urn:cloudfilm:error) and title. Details never hold patient data.
// Internal to cf::http; pure code.
#pragma once

#include <string_view>

#include "http/message.hpp"

namespace cf::http {

inline constexpr std::string_view kFhirContentType = "application/fhir+json";

// True for "/fhir" and anything under "/fhir/" (a request target; the
// query is ignored).
bool IsFhirTarget(std::string_view target);

// The FHIR issue type (R4 value set issue-type) of an HTTP error status.
std::string_view FhirIssueCode(unsigned status);

// `response` with a problem JSON body turned into an OperationOutcome; any
// other response is returned as it is. Headers (Allow, WWW-Authenticate,
// Retry-After) are kept.
Response ToOperationOutcome(Response response);

}  // namespace cf::http
