// SPDX-License-Identifier: Apache-2.0
// Query-string and date parsing for the JSON API. Hand-written rather than
// taken from Beast/Boost.URL because the rules we want are small and strict:
// reject malformed escapes and numbers instead of guessing, so that a typo
// becomes a 400 naming the parameter, never a silently different query.
#include "http/query_params.hpp"

#include <charconv>
#include <chrono>

namespace cf::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::unexpected<Error> BadParameter(std::string_view name, std::string_view what) {
  std::string message = "query parameter '";
  message.append(name);
  message.append("' ");
  message.append(what);
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

TargetParts SplitTarget(std::string_view target) {
  if (const auto hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= text.size()) {
      return Fail(ErrorCode::kInvalidArgument, "truncated percent-escape");
    }
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) {
      return Fail(ErrorCode::kInvalidArgument, "invalid percent-escape");
    }
    const char decoded = static_cast<char>((high << 4) | low);
    if (decoded == '\0') {
      return Fail(ErrorCode::kInvalidArgument, "percent-escape decodes to NUL");
    }
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

Result<QueryParams> QueryParams::Parse(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    if (!name) return std::unexpected(name.error());
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!value) {
      return BadParameter(*name, "has an " + value.error().message);
    }
    params.items_.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (key == name) {
      if (value.empty()) return std::nullopt;
      return std::string_view{value};
    }
  }
  return std::nullopt;
}

Result<int64_t> GetInt(const QueryParams& params, std::string_view name, int64_t fallback,
                       int64_t min_value, int64_t max_value) {
  const auto text = params.Get(name);
  if (!text) return fallback;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  const std::string range =
      "must be an integer from " + std::to_string(min_value) + " to " + std::to_string(max_value);
  if (ec != std::errc{} || ptr != end) return BadParameter(name, range);
  if (value < min_value || value > max_value) return BadParameter(name, range);
  return value;
}

Result<Paging> GetPaging(const QueryParams& params) {
  Paging paging;
  auto limit = GetInt(params, "limit", kDefaultLimit, 0, kMaxLimit);
  if (!limit) return std::unexpected(limit.error());
  auto offset = GetInt(params, "offset", 0, 0, INT64_MAX);
  if (!offset) return std::unexpected(offset.error());
  paging.limit = *limit;
  paging.offset = *offset;
  return paging;
}

bool IsValidDicomDate(std::string_view date) {
  if (date.size() != 8 || !AllDigits(date)) return false;
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  std::from_chars(date.data(), date.data() + 4, y);
  std::from_chars(date.data() + 4, date.data() + 6, m);
  std::from_chars(date.data() + 6, date.data() + 8, d);
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                     std::chrono::day{d}}
      .ok();
}

Result<DateRange> ParseDateRange(std::string_view name, std::string_view value) {
  constexpr std::string_view kExpected = "must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD";
  DateRange range;
  const auto dash = value.find('-');
  if (dash == std::string_view::npos) {
    if (!IsValidDicomDate(value)) return BadParameter(name, kExpected);
    range.from = std::string(value);
    range.to = std::string(value);
    return range;
  }
  const std::string_view from = value.substr(0, dash);
  const std::string_view to = value.substr(dash + 1);
  if (from.empty() && to.empty()) return BadParameter(name, kExpected);
  if (!from.empty() && !IsValidDicomDate(from)) return BadParameter(name, kExpected);
  if (!to.empty() && !IsValidDicomDate(to)) return BadParameter(name, kExpected);
  if (!from.empty() && !to.empty() && from > to) {
    return BadParameter(name, "starts after it ends");
  }
  range.from = std::string(from);
  range.to = std::string(to);
  return range;
}

}  // namespace cf::http
