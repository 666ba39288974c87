// SPDX-License-Identifier: Apache-2.0
// The frame list of a WADO-RS frames resource (PS3.18 8.3.3.1, ".../frames/
// 1,3,5"). Internal to cf::http; a pure function.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cf::http {

// 1-based frame numbers, comma-separated, at least one, each at most once:
// a repeated number would let a short URL ask for the same frame thousands
// of times and build an answer thousands of times the instance's size.
// kInvalidArgument otherwise (the range check against the instance's frame
// count is the caller's).
Result<std::vector<uint32_t>> ParseFrameList(std::string_view text);

}  // namespace cf::http
