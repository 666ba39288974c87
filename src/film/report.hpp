// SPDX-License-Identifier: Apache-2.0
// The reports of an exam, from the five departments that write them. A
// report is a series of versions: a preliminary one, the final one the
// doctor signs, amendments after that. Versions are never overwritten:
// the history is part of the record a film certifies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cf::film {

enum class ReportKind { kRadiology, kUltrasound, kEndoscopy, kPathology, kEcg };
enum class ReportStatus { kPreliminary, kFinal, kAmended };

// Stable names ("radiology", "final", ...): stored and shown as they are.
std::string_view KindName(ReportKind kind);
std::optional<ReportKind> ParseKind(std::string_view name);
std::string_view StatusName(ReportStatus status);
std::optional<ReportStatus> ParseStatus(std::string_view name);

struct ReportSection {
  std::string title;  // "Findings", "所见", ...
  std::string text;
};

// What a department sends for one version.
struct ReportContent {
  ReportStatus status = ReportStatus::kPreliminary;
  std::vector<ReportSection> sections = {};
  std::string conclusion = {};
  std::string signer = {};                   // who signed (name as the hospital writes it)
  int64_t signed_at_ms = 0;                  // when; 0 = not signed (preliminary)
  std::vector<std::string> key_images = {};  // SOP Instance UIDs of the exam
  std::vector<std::byte> pdf = {};           // the department's own PDF, when it sent one
  std::string source = "rest";               // "rest", "fhir", "dicom-sr", "dicom-pdf"
};

// Checks what a version must hold: a final or amended version is signed
// (signer and time) and says something (a section or a conclusion); UIDs of
// key images are UIDs. kInvalidArgument naming the field.
Result<void> ValidateContent(const ReportContent& content);

// Whether a report whose latest version has `latest` may get a version
// with `next`: preliminary versions until the final one; after it only
// amendments. A signed report never goes back to preliminary.
bool MayFollow(std::optional<ReportStatus> latest, ReportStatus next);

// The version's content as canonical JSON (keys sorted, no whitespace,
// UTF-8; RFC 8785 for the strings and integers it holds) and its SHA-256:
// what a film manifest lists for each report version. The PDF is
// represented by its SHA-256.
std::string CanonicalContent(const ReportContent& content);

struct ReportVersion {
  int version = 1;
  ReportContent content;
  std::string sha256_hex;  // of CanonicalContent
  int64_t received_at_ms = 0;
  std::string received_by;  // the account, token or node that sent it (audit actor)
};

struct Report {
  std::string id;  // public, random
  std::string tenant;
  ReportKind kind = ReportKind::kRadiology;
  std::string study_uid;  // may be empty while only the accession is known
  std::string accession;
  std::vector<ReportVersion> versions;  // oldest first; the last is current
};

}  // namespace cf::film
