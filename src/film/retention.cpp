// SPDX-License-Identifier: Apache-2.0
#include "film/retention.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace cf::film {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::string Dashed(std::string_view da) {
  return fmt::format("{}-{}-{}", da.substr(0, 4), da.substr(4, 2), da.substr(6, 2));
}

}  // namespace

std::string AddYears(std::string_view yyyymmdd, int years) {
  int y = 0, m = 0, d = 0;
  const std::string text(yyyymmdd);
  if (text.size() != 8 || std::sscanf(text.c_str(), "%4d%2d%2d", &y, &m, &d) != 3 || m < 1 ||
      m > 12 || d < 1 || d > 31) {
    return {};
  }
  y += years;
  if (m == 2 && d == 29 && !IsLeap(y)) d = 28;
  return fmt::format("{:04d}{:02d}{:02d}", y, m, d);
}

Retention ComputeRetention(std::string_view exam_date, int service_tier_years,
                           const LastVisits& visits) {
  Retention r;
  r.service_tier_years = service_tier_years;
  r.service_tier_until = AddYears(exam_date, service_tier_years);
  const std::string outpatient = AddYears(visits.outpatient, kOutpatientYears);
  const std::string inpatient = AddYears(visits.discharge, kInpatientYears);
  // YYYYMMDD strings order as dates.
  std::string legal_by;
  if (!outpatient.empty()) {
    r.legal_minimum_until = outpatient;
    legal_by = "outpatient-visit";
  }
  if (!inpatient.empty() && inpatient > r.legal_minimum_until) {
    r.legal_minimum_until = inpatient;
    legal_by = "discharge";
  }
  r.retain_until = r.service_tier_until;
  r.decided_by = "service-tier";
  if (r.legal_minimum_until > r.retain_until) {
    r.retain_until = r.legal_minimum_until;
    r.decided_by = legal_by;
  }
  std::string known;
  if (!outpatient.empty()) {
    known += fmt::format("; last outpatient visit {} gives {}", Dashed(visits.outpatient),
                         Dashed(outpatient));
  }
  if (!inpatient.empty()) {
    known +=
        fmt::format("; last discharge {} gives {}", Dashed(visits.discharge), Dashed(inpatient));
  }
  if (known.empty()) known = "; no visit dates are known, so the service tier applies";
  r.rule = fmt::format(
      "the later of the service tier ({} years from the exam date{}) and the legal minimum "
      "({} years after the last outpatient visit, {} after the last discharge){}",
      service_tier_years,
      r.service_tier_until.empty() ? std::string() : ": " + Dashed(r.service_tier_until),
      kOutpatientYears, kInpatientYears, known);
  return r;
}

}  // namespace cf::film
