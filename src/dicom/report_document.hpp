// SPDX-License-Identifier: Apache-2.0
// Reports that arrive as DICOM objects: structured reports (Basic,
// Enhanced, Comprehensive SR: the text of their content tree),
// Encapsulated PDF, and ECG waveforms with their annotations (12-lead and
// General ECG: the interpretation statements and the measurements). What a report store needs of
// them, as UTF-8, with no DCMTK type showing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

struct ReportDocument {
  std::string study_uid;
  std::string accession;
  std::string title;  // the SR's document title (root concept name) or DocumentTitle
  // SR: CompletionFlag COMPLETE and VerificationFlag VERIFIED; the
  // verifying observer and time (DT, as written, with TimezoneOffsetFromUTC
  // appended when the DT has none).
  bool complete = false;
  bool verified = false;
  bool has_predecessor = false;  // PredecessorDocumentsSequence: it replaces an earlier one
  std::string verifier;
  std::string verified_at;
  // Top-level containers and text items as (heading, text); text items at
  // the root become their own sections.
  std::vector<std::pair<std::string, std::string>> sections;
  std::string conclusion;               // items named Conclusion or Impression
  std::vector<std::string> key_images;  // SOP Instance UIDs the SR references
  std::vector<std::byte> pdf;           // Encapsulated PDF
  bool waveform = false;                // an ECG: conclusion = its interpretation statements
  // Encapsulated PDF and ECG, which have no verification: the reading physician
  // (NameOfPhysiciansReadingStudy) and ContentDate + ContentTime (DT form,
  // with the time zone offset when given).
  std::string reader;
  std::string content_datetime;
};

bool IsEcgWaveformClass(std::string_view sop_class_uid);
// True for the SOP classes ReadReportDocument understands.
bool IsReportDocumentClass(std::string_view sop_class_uid);

// Reads a stored object's report. kUnsupported for other SOP classes,
// kInvalidDicom when it cannot be parsed.
Result<ReportDocument> ReadReportDocument(ByteView bytes);

}  // namespace cf::dicom
