// SPDX-License-Identifier: Apache-2.0
#include "core/time_text.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace cf {

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Rfc3339Utc(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

std::string FormatUtc(int64_t ms, const char* format) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  const size_t n = std::strftime(text, sizeof text, format, &tm);
  return std::string(text, n);
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  const auto bad = [](const char* why) { return Fail(ErrorCode::kInvalidArgument, why); };
  const auto digits = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= text.size() || text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return bad("not an RFC 3339 time, e.g. 2026-11-29T08:30:00+08:00");
  }
  const int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2),
            mi = digits(14, 2), s = digits(17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) {
    return bad("not an RFC 3339 time, e.g. 2026-11-29T08:30:00+08:00");
  }
  std::string_view rest = text.substr(19);
  int64_t ms = 0;
  if (rest.starts_with('.')) {
    size_t i = 1;
    for (int64_t scale = 100; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) {
      ms += (rest[i] - '0') * scale;
      scale /= 10;
    }
    if (i == 1) return bad("an RFC 3339 time with an empty fraction");
    rest.remove_prefix(i);
  }
  int offset_minutes = 0;
  if (rest == "Z" || rest == "z") {
    offset_minutes = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
             std::isdigit(static_cast<unsigned char>(rest[1])) &&
             std::isdigit(static_cast<unsigned char>(rest[2])) &&
             std::isdigit(static_cast<unsigned char>(rest[4])) &&
             std::isdigit(static_cast<unsigned char>(rest[5]))) {
    offset_minutes =
        ((rest[1] - '0') * 10 + (rest[2] - '0')) * 60 + (rest[4] - '0') * 10 + (rest[5] - '0');
    if (rest[0] == '-') offset_minutes = -offset_minutes;
  } else {
    return bad("an RFC 3339 time needs its time zone (Z or +08:00)");
  }
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo),
                                         std::chrono::day(d)};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return bad("not a valid date and time");
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return (days * 86400 + h * 3600 + mi * 60 + s - offset_minutes * 60) * 1000 + ms;
}

}  // namespace cf
