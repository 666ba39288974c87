// SPDX-License-Identifier: Apache-2.0
#include "film/print_header.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace cf::film {
namespace {

std::optional<int> Number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string PrintableName(std::string_view pn) {
  std::vector<std::string> groups;
  size_t start = 0;
  while (groups.size() < 3) {
    const size_t end = pn.find('=', start);
    std::string_view group =
        pn.substr(start, end == std::string_view::npos ? pn.npos : end - start);
    std::string joined;
    // Components are Family^Given^Middle^Prefix^Suffix; ideographic names
    // are written without spaces.
    const bool ideographic = groups.size() >= 1;
    size_t s = 0;
    while (s <= group.size()) {
      const size_t e = group.find('^', s);
      std::string_view part = group.substr(s, e == std::string_view::npos ? group.npos : e - s);
      if (!part.empty()) {
        if (!joined.empty() && !ideographic) joined += ' ';
        joined += part;
      }
      if (e == std::string_view::npos) break;
      s = e + 1;
    }
    groups.push_back(std::move(joined));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const std::string& alphabetic = groups[0];
  const std::string ideographic = groups.size() > 1 ? groups[1] : std::string();
  if (ideographic.empty()) return alphabetic;
  if (alphabetic.empty()) return ideographic;
  return fmt::format("{} ({})", ideographic, alphabetic);
}

std::string PrintableDate(std::string_view da) {
  if (da.size() != 8) return std::string(da);
  return fmt::format("{}-{}-{}", da.substr(0, 4), da.substr(4, 2), da.substr(6, 2));
}

std::string PrintableSex(std::string_view sex) {
  if (sex == "M") return "男 Male";
  if (sex == "F") return "女 Female";
  if (sex == "O") return "其他 Other";
  return std::string(sex);
}

std::string AgeAtExam(std::string_view birth, std::string_view exam) {
  if (birth.size() != 8 || exam.size() != 8) return {};
  const auto by = Number(birth.substr(0, 4)), bm = Number(birth.substr(4, 2)),
             bd = Number(birth.substr(6, 2));
  const auto ey = Number(exam.substr(0, 4)), em = Number(exam.substr(4, 2)),
             ed = Number(exam.substr(6, 2));
  if (!by || !bm || !bd || !ey || !em || !ed) return {};
  int months = (*ey - *by) * 12 + (*em - *bm) - (*ed < *bd ? 1 : 0);
  if (months < 0) return {};
  if (months < 24) return fmt::format("{} 个月 months", months);
  return fmt::format("{} 岁 years", months / 12);
}

}  // namespace cf::film
