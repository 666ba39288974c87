// SPDX-License-Identifier: Apache-2.0
// What the archive needs to know about one received DICOM object, copied out
// of DCMTK into plain types. Text values are UTF-8 (converted from the
// object's Specific Character Set) with padding trimmed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace cf::dicom {

struct ParsedInstance {
  // Identity and hierarchy (always present once parsing succeeded).
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string transfer_syntax_uid;
  bool has_file_meta = false;

  // Patient.
  std::string patient_id;
  std::string issuer_of_patient_id;
  std::string patient_name;  // PN in UTF-8, components as received ("^" and "=")
  std::string patient_birth_date;
  std::string patient_sex;

  // Study.
  std::string study_date;  // YYYYMMDD
  std::string study_time;
  std::string accession_number;
  std::string study_id;
  std::string study_description;
  std::string referring_physician_name;

  // Series.
  std::string modality;
  std::optional<int> series_number;
  std::string series_description;
  std::string body_part_examined;
  std::string series_date;  // YYYYMMDD
  std::string series_time;
  std::string performed_procedure_step_start_date;
  std::string performed_procedure_step_start_time;

  // Instance.
  std::optional<int> instance_number;
  std::optional<int> rows;
  std::optional<int> columns;
  std::optional<int> number_of_frames;
  std::string specific_character_set;  // as received

  // Things that did not stop ingest but that an operator should know about
  // ("no file meta information", "unknown character set ..."). No patient data.
  std::vector<std::string> warnings;
};

struct ParseOptions {
  // Objects larger than this are refused before parsing.
  uint64_t max_object_size = 4ull << 30;
  // Accept a raw dataset without preamble and file meta (with a warning).
  bool accept_raw_dataset = true;
};

// Parses a Part 10 file (or a raw dataset, see ParseOptions) held in memory and
// validates what an archive needs: SOP Class/Instance, Study and Series UIDs
// present and syntactically valid, every element length inside the buffer.
// Fails with kInvalidDicom naming the problem, kTooLarge over the size limit.
// Thread-safe; blocks (CPU only).
Result<ParsedInstance> ParseInstance(ByteView bytes, const ParseOptions& options = {});

// True when `uid` is a syntactically valid DICOM UID (PS3.5 9.1).
bool IsValidUid(std::string_view uid);

}  // namespace cf::dicom
