// SPDX-License-Identifier: Apache-2.0
// One query model for every search front end (QIDO-RS, C-FIND, the JSON
// API, C-MOVE/C-GET target resolution): a level, the attributes to match
// with their values written as DICOM writes them, and paging. Matching
// follows PS3.4 C.2.2.2:
//
// - empty value: universal matching (the attribute is only returned);
// - UIDs: single value or a list "uid1\uid2" (list of UID matching);
// - dates (DA): "YYYYMMDD", "YYYYMMDD-YYYYMMDD", "YYYYMMDD-", "-YYYYMMDD";
//   times (TM): the same with HHMMSS[.ffffff] prefixes, bounds inclusive;
// - text (PN, LO, SH, CS): single value, or wildcards '*' and '?';
//   person names match case-insensitively, over the whole value or any of
//   its component groups ("alphabetic=ideographic=phonetic"); other text
//   is case-sensitive;
// - IS (series and instance numbers) and CS lists ("CT\MR"): any of the
//   values.
// - fuzzy person-name matching (Query::fuzzy_names): every word of the
//   query must start a component word of the name, in any group, case-
//   insensitively ("wang" and "王" and "小明" all find "Wang^Xiaoming=王^小明").
//
// Values never reach SQL text: they are bound as parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/records.hpp"
#include "core/error.hpp"

namespace cf::catalog {

enum class QueryLevel { kPatient, kStudy, kSeries, kInstance };

// The attributes the catalog can match on (and always returns).
enum class QueryAttr {
  // Patient
  kPatientId,
  kIssuerOfPatientId,
  kPatientName,
  kPatientBirthDate,
  kPatientSex,
  // Study
  kStudyInstanceUid,
  kStudyDate,
  kStudyTime,
  kAccessionNumber,
  kStudyId,
  kStudyDescription,
  kReferringPhysicianName,
  kModalitiesInStudy,
  // Series
  kSeriesInstanceUid,
  kModality,
  kSeriesNumber,
  kSeriesDescription,
  kBodyPartExamined,
  kSeriesDate,
  kSeriesTime,
  kPerformedProcedureStepStartDate,
  kPerformedProcedureStepStartTime,
  // Instance
  kSopInstanceUid,
  kSopClassUid,
  kInstanceNumber,
};

// The attribute for a DICOM tag ((group << 16) | element) or keyword
// ("PatientName"); nullopt for attributes the catalog does not index.
std::optional<QueryAttr> QueryAttrForTag(uint32_t tag);
std::optional<QueryAttr> QueryAttrForKeyword(std::string_view keyword);
uint32_t TagOf(QueryAttr attr);
// The level an attribute belongs to (kModalitiesInStudy: kStudy).
QueryLevel LevelOf(QueryAttr attr);

struct QueryCondition {
  QueryAttr attr;
  std::string value;  // as in a C-FIND identifier, UTF-8
};

struct Query {
  Scope scope;  // whose data; no default (see scope.hpp)
  QueryLevel level = QueryLevel::kStudy;
  // Conditions on the query level and the levels above it. A condition
  // below the query level is refused (kInvalidArgument).
  std::vector<QueryCondition> conditions = {};
  bool fuzzy_names = false;
  int64_t limit = 100;  // 0: no limit
  int64_t offset = 0;
  // Count every match (Page::total); costs a second query.
  bool count_total = false;
};

// One match; the records of the query level and every level above it are
// filled. At instance level, one match per SOP Instance UID: its first
// version, the one a retrieve returns.
struct QueryMatch {
  PatientRecord patient;
  StudyRecord study;        // kStudy and below
  SeriesRecord series;      // kSeries and below
  InstanceRecord instance;  // kInstance
};

// A study or series named by its UID in one hospital (tenant code).
struct TenantUid {
  std::string tenant;
  std::string uid;
};

// Checks every condition's value against its attribute's matching rules
// (malformed dates and ranges, wildcards in UIDs, non-numeric IS values)
// before any SQL runs. kInvalidArgument names the attribute.
Result<void> ValidateQuery(const Query& query);

// Splits a person name into the words fuzzy matching compares: every
// component of every group, upper-cased (ASCII), plus each group's family
// and given names written together ("王小明", "WANGXIAOMING"). For tests and
// the catalog's name index.
std::vector<std::string> NameWords(std::string_view person_name);

}  // namespace cf::catalog
