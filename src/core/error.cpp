// SPDX-License-Identifier: Apache-2.0
#include "core/error.hpp"

namespace cf {

std::string_view ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kInvalidDicom:
      return "invalid-dicom";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kTooLarge:
      return "too-large";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kRateLimited:
      return "rate-limited";
    case ErrorCode::kPermissionDenied:
      return "permission-denied";
    case ErrorCode::kStorageUnavailable:
      return "storage-unavailable";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

int ToHttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kInvalidDicom:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kStorageUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 504;
    case ErrorCode::kUnsupported:
      return 415;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

uint16_t ToDimseStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidDicom:
      return 0xC000;  // Cannot understand
    case ErrorCode::kConflict:
      return 0xA900;  // Data set does not match SOP class
    case ErrorCode::kTooLarge:
      return 0xA700;  // Out of resources
    case ErrorCode::kStorageUnavailable:
      return 0xA700;  // Out of resources
    case ErrorCode::kUnauthenticated:
      return 0x0124;  // Refused: not authorized
    case ErrorCode::kRateLimited:
      return 0xA700;  // Out of resources
    case ErrorCode::kPermissionDenied:
      return 0x0124;  // Refused: not authorized
    case ErrorCode::kUnsupported:
      return 0x0122;  // SOP class not supported
    case ErrorCode::kInvalidArgument:
      return 0xC000;
    case ErrorCode::kNotFound:
      return 0xC000;
    case ErrorCode::kTimeout:
      return 0xA700;
    case ErrorCode::kInternal:
      return 0x0110;  // Processing failure
  }
  return 0x0110;
}

int ToExitCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 2;
    case ErrorCode::kInvalidDicom:
      return 3;
    case ErrorCode::kNotFound:
      return 4;
    case ErrorCode::kConflict:
      return 5;
    case ErrorCode::kTooLarge:
      return 6;
    case ErrorCode::kUnauthenticated:
      return 11;
    case ErrorCode::kRateLimited:
      return 12;
    case ErrorCode::kPermissionDenied:
      return 7;
    case ErrorCode::kStorageUnavailable:
      return 8;
    case ErrorCode::kTimeout:
      return 9;
    case ErrorCode::kUnsupported:
      return 10;
    case ErrorCode::kInternal:
      return 70;
  }
  return 70;
}

}  // namespace cf
