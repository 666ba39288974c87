// SPDX-License-Identifier: Apache-2.0
#include "http/frame_list.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace cf::http {

Result<std::vector<uint32_t>> ParseFrameList(std::string_view text) {
  std::vector<uint32_t> frames;
  const auto bad = [] {
    return Fail(ErrorCode::kInvalidArgument,
                "the frame list must be comma-separated frame numbers starting at 1");
  };
  if (text.empty()) return bad();
  for (;;) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    uint32_t frame = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), frame);
    if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || frame == 0) {
      return bad();
    }
    frames.push_back(frame);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::vector<uint32_t> sorted = frames;
  std::ranges::sort(sorted);
  if (const auto repeated = std::ranges::adjacent_find(sorted); repeated != sorted.end()) {
    return Fail(ErrorCode::kInvalidArgument,
                "the frame list names frame " + std::to_string(*repeated) + " more than once");
  }
  return frames;
}

}  // namespace cf::http
