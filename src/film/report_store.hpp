// SPDX-License-Identifier: Apache-2.0
// Where reports and every version of them are kept: DATA/reports.sqlite,
// encrypted below SQLite like the other databases (the text is patient
// data). Append-only: a new version is a new row, and the database refuses
// updates and deletes of versions. Thread-safe; calls block.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/scope.hpp"
#include "core/error.hpp"
#include "film/report.hpp"

namespace cf::film {

struct ReportStoreOptions {
  std::filesystem::path path;
  std::string vfs = {};  // catalog/encrypted_vfs.hpp; empty = plain SQLite
};

// A version to add: to the report `report_id`, or, without one, to the
// report of this kind for this exam (created when there is none).
struct NewReportVersion {
  std::string tenant;
  std::string report_id = {};
  ReportKind kind = ReportKind::kRadiology;
  std::string study_uid = {};
  std::string accession = {};
  ReportContent content;
  std::string received_by = {};
};

struct ReportQuery {
  catalog::Scope scope;
  std::string study_uid = {};
  std::string accession = {};
  int64_t limit = 100;
};

class ReportStore {
 public:
  static Result<std::unique_ptr<ReportStore>> Open(const ReportStoreOptions& options);
  ~ReportStore();
  ReportStore(const ReportStore&) = delete;
  ReportStore& operator=(const ReportStore&) = delete;

  // Adds a version and returns the report with its whole history. An exam
  // is named by its Study Instance UID or its accession number (or both);
  // a report first known by accession gets the UID when a later version
  // names it. Errors: kInvalidArgument (ValidateContent, no exam named,
  // an unknown report id), kConflict (the status may not follow the
  // current one, e.g. preliminary after final; or the report belongs to
  // another exam than the one named).
  Result<Report> Submit(const NewReportVersion& version);

  // One report with every version; kNotFound outside `scope`.
  Result<Report> Get(const catalog::Scope& scope, std::string_view report_id);
  // The reports of an exam (by study UID or accession), with their versions.
  Result<std::vector<Report>> Find(const ReportQuery& query);

 private:
  struct Impl;
  explicit ReportStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cf::film
