// SPDX-License-Identifier: Apache-2.0
// Times as text in RFC 3339, what the JSON APIs and signed documents show.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cf {

// The system clock as Unix milliseconds.
int64_t UnixNowMs();

// "2026-11-29T01:30:00.000Z" for Unix milliseconds.
std::string Rfc3339Utc(int64_t ms);

// Unix milliseconds in UTC as strftime's `format` writes them ("%Y%m%d"
// for a DICOM date); at most 63 characters.
std::string FormatUtc(int64_t ms, const char* format);

// "2026-11-29T09:30:00+08:00", "...T01:30:00.25Z": Unix milliseconds. The
// time zone is required (a time without one names no instant).
// kInvalidArgument saying what is wrong, without the value.
Result<int64_t> ParseRfc3339(std::string_view text);

}  // namespace cf
