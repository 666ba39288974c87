// SPDX-License-Identifier: Apache-2.0
// The patient's visits that the legal retention minimum counts from
// (retention.hpp): outpatient visits and discharges from inpatient stays,
// as the hospital's information system sends them. Kept in
// DATA/visits.sqlite, encrypted below SQLite like the other databases (a
// visit names a patient). Thread-safe; calls block.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "film/retention.hpp"

namespace cf::film {

enum class VisitKind { kOutpatient, kInpatient };
std::string_view VisitKindName(VisitKind kind);  // "outpatient", "inpatient"
std::optional<VisitKind> ParseVisitKind(std::string_view name);

struct Visit {
  std::string tenant;
  // The hospital's own id of the visit (encounter number): sending a visit
  // again, e.g. an admission and later its discharge, updates it.
  std::string visit_id;
  std::string patient_id;
  std::string issuer_of_patient_id = {};
  VisitKind kind = VisitKind::kOutpatient;
  // YYYYMMDD. Outpatient: the visit; inpatient: the discharge, empty while
  // the patient is still in hospital (the stay counts once discharged).
  std::string date = {};
  std::string received_by = {};
  // The accession numbers of the exams ordered in this visit: what a kiosk
  // lists when a patient enters the visit number. Sending the visit again
  // adds to them (a discharge message need not repeat the orders); none
  // known = every exam of the patient at the hospital.
  std::vector<std::string> accessions = {};
};

class VisitStore {
 public:
  static Result<std::unique_ptr<VisitStore>> Open(const std::filesystem::path& path,
                                                  const std::string& vfs);
  ~VisitStore();
  VisitStore(const VisitStore&) = delete;
  VisitStore& operator=(const VisitStore&) = delete;

  // Adds the visit, or updates the one with its id. kInvalidArgument naming
  // the field; kConflict when the id is another patient's visit.
  Result<void> Record(const Visit& visit);
  // The visit `visit_id` of `tenant` with every accession recorded for it;
  // nullopt when the hospital never sent it.
  Result<std::optional<Visit>> Find(std::string_view tenant, std::string_view visit_id);
  // The patient's last outpatient visit and last discharge at `tenant`. A
  // visit sent without an issuer is the hospital's own patient ID, which
  // it uses under whatever issuer its images name.
  Result<LastVisits> Last(std::string_view tenant, std::string_view patient_id,
                          std::string_view issuer_of_patient_id);

 private:
  struct Impl;
  explicit VisitStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::film
