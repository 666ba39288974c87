// SPDX-License-Identifier: Apache-2.0
// Reports that arrive as DICOM objects (SR, Encapsulated PDF) as report
// versions: what the archive's stored-object hook hands to the report
// store.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "film/report_store.hpp"

namespace cf::film {

// A DICOM date-time ("YYYYMMDD[HHMMSS[.FFFFFF]][&ZZXX]") as Unix ms; one
// without an offset is read as UTC. nullopt when it is not one.
std::optional<int64_t> ParseDicomDateTime(std::string_view dt);

// The report version a stored SR or Encapsulated PDF carries, for
// `tenant`; nullopt for objects of other SOP classes. The kind comes from
// the document title (ultrasound, endoscopy, pathology, ECG words in
// English or Chinese; radiology otherwise). A verified SR is final (or an
// amendment when it names a predecessor); an unverified one preliminary;
// an Encapsulated PDF is final when the reading physician and the content
// time are given, preliminary otherwise.
Result<std::optional<NewReportVersion>> ReportFromDicom(std::string_view sop_class_uid,
                                                        ByteView bytes, std::string tenant);

// Files the report of a stored object in `store`, if it is one: a final
// version that cannot follow (a second verified SR of the exam) is kept
// as an amendment, and an amendment that cannot start a report as final. Failures are logged, never
// thrown: the object itself is stored either way.
// Returns the report as filed, nullopt when none was.
std::optional<Report> FileDicomReport(ReportStore& store, std::string_view sop_class_uid,
                                      ByteView bytes, std::string tenant, std::string received_by);

}  // namespace cf::film
