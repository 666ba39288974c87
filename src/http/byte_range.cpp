// SPDX-License-Identifier: Apache-2.0
#include "http/byte_range.hpp"

#include <charconv>
#include <optional>

namespace cf::http {
namespace {

std::optional<uint64_t> Number(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

RangeRequest ParseByteRange(std::string_view header, uint64_t size) {
  using Kind = RangeRequest::Kind;
  header = Trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() <= kUnit.size() || header.substr(0, kUnit.size()) != kUnit) {
    return {};
  }
  const std::string_view spec = Trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view from = Trim(spec.substr(0, dash));
  const std::string_view to = Trim(spec.substr(dash + 1));
  ByteRange range;
  if (from.empty()) {  // the last `to` bytes
    const auto suffix = Number(to);
    if (!suffix) return {};
    if (*suffix == 0 || size == 0) return {Kind::kUnsatisfiable, {}};
    range.first = *suffix >= size ? 0 : size - *suffix;
    range.last = size - 1;
  } else {
    const auto first = Number(from);
    if (!first) return {};
    std::optional<uint64_t> last;
    if (!to.empty()) {
      last = Number(to);
      if (!last || *last < *first) return {};
    }
    if (*first >= size) return {Kind::kUnsatisfiable, {}};
    range.first = *first;
    range.last = last && *last < size ? *last : size - 1;
  }
  if (range.first == 0 && range.last == size - 1) return {};
  return {Kind::kPart, range};
}

}  // namespace cf::http
