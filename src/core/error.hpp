// SPDX-License-Identifier: Apache-2.0
// Error values shared by every part. A function that can fail returns
// cf::Result<T>; exceptions are reserved for bugs and exhausted resources and
// are caught only at the boundaries (HTTP router, DIMSE handler, job runner,
// main). This is the one place where an error code meets a protocol.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace cf {

enum class ErrorCode : uint16_t {
  kInvalidArgument,     // a request or option that makes no sense
  kInvalidDicom,        // bytes that are not an acceptable DICOM object
  kNotFound,            // unknown study, series, instance, route
  kConflict,            // contradicts what is stored (hierarchy, existing key)
  kTooLarge,            // over a configured size limit
  kUnauthenticated,     // no credentials, or credentials that do not hold (HTTP 401)
  kPermissionDenied,    // caller known but not allowed
  kRateLimited,         // too many attempts from this address or account (HTTP 429)
  kStorageUnavailable,  // disk full, folder unwritable, database locked too long
  kTimeout,
  kUnsupported,  // valid but not handled (SOP class, transfer syntax)
  kInternal,     // a bug; logged loudly
};

struct Error {
  ErrorCode code;
  std::string message;  // For operators and clients. Never contains patient data.
  // What a client branches on where the code alone does not tell it what to
  // do next (a revoked share and a wrong birth date are both 401): a stable
  // slug ("share-revoked"), sent as the problem's "reason" member. Clients
  // must never parse `message`, which is prose and may change.
  std::string reason = {};
  // A wrong second factor: the attempts left before the share locks
  // (problem member "attempts_left"); negative when not applicable.
  int64_t attempts_left = -1;
  // kRateLimited: seconds until a retry can succeed (HTTP Retry-After and
  // problem member "retry_after_s"); negative when not known.
  int64_t retry_after_s = -1;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string reason = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(reason)});
}

// kRateLimited after too many attempts: "<what>; retry in N s", with N in
// retry_after_s for the Retry-After header.
inline Error RetryLater(std::string what, int64_t seconds, std::string reason = {}) {
  what.append("; retry in ").append(std::to_string(seconds)).append(" s");
  Error error{ErrorCode::kRateLimited, std::move(what), std::move(reason)};
  error.retry_after_s = seconds;
  return error;
}

std::string_view ToString(ErrorCode code);
int ToHttpStatus(ErrorCode code);
uint16_t ToDimseStatus(ErrorCode code);  // C-STORE failure status (PS3.4 B.2.3)
int ToExitCode(ErrorCode code);          // process exit codes of the CLI

}  // namespace cf
