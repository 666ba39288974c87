// SPDX-License-Identifier: Apache-2.0
// How long an exam is kept: the later of the hospital's service tier
// counted from the exam date (5, 10, 15 or 30 years) and the legal minimum
// for medical records (15 years after the patient's last outpatient visit,
// 30 years after the last discharge from hospital). A later visit extends
// every earlier exam of the patient, so the date is computed from the
// visits known now, and a film states the value of its issuance day.
#pragma once

#include <string>
#include <string_view>

namespace cf::film {

inline constexpr int kOutpatientYears = 15;
inline constexpr int kInpatientYears = 30;

// Dates are DICOM DA (YYYYMMDD); empty when unknown.
struct LastVisits {
  std::string outpatient;  // the last outpatient visit
  std::string discharge;   // the last discharge from an inpatient stay
};

struct Retention {
  int service_tier_years = 0;
  std::string service_tier_until;   // exam date + tier
  std::string legal_minimum_until;  // empty while no visit is known
  std::string retain_until;         // the later of the two
  // Which one decides: "service-tier", "outpatient-visit" or "discharge".
  std::string decided_by;
  std::string rule;  // the rule in words, with the dates it used
};

// YYYYMMDD plus `years`; 29 February becomes 28 February in a common year.
// Empty for a malformed date.
std::string AddYears(std::string_view yyyymmdd, int years);

Retention ComputeRetention(std::string_view exam_date, int service_tier_years,
                           const LastVisits& visits);

}  // namespace cf::film
