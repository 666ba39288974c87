// SPDX-License-Identifier: Apache-2.0
// Rows of the catalog as plain values: what queries return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/scope.hpp"

namespace cf::catalog {

struct PatientRecord {
  std::string tenant;  // the hospital whose patient this is
  std::string patient_id;
  std::string issuer_of_patient_id;
  std::string patient_name;
  std::string birth_date;
  std::string sex;
  int64_t num_studies = 0;
};

struct StudyRecord {
  std::string tenant;
  std::string study_instance_uid;
  std::string patient_id;
  std::string issuer_of_patient_id;
  std::string patient_name;
  std::string patient_birth_date;
  std::string patient_sex;
  std::string study_date;
  std::string study_time;
  std::string accession_number;
  std::string study_id;
  std::string study_description;
  std::string referring_physician_name;
  std::vector<std::string> modalities;  // distinct, sorted
  int64_t num_series = 0;
  int64_t num_instances = 0;
  int64_t updated_at_ms = 0;
};

struct SeriesRecord {
  std::string series_instance_uid;
  std::string study_instance_uid;
  std::string modality;
  std::optional<int> series_number;
  std::string series_description;
  std::string body_part_examined;
  std::string series_date;
  std::string series_time;
  std::string performed_procedure_step_start_date;
  std::string performed_procedure_step_start_time;
  int64_t num_instances = 0;
};

struct InstanceRecord {
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string series_instance_uid;
  std::string study_instance_uid;
  std::optional<int> instance_number;
  std::string transfer_syntax_uid;
  std::optional<int> rows;
  std::optional<int> columns;
  std::optional<int> number_of_frames;
  int version = 1;         // 1 = first received; later versions never replace it
  std::string sha256_hex;  // of the received bytes
  uint64_t size = 0;       // received bytes
  std::string blob_key;
  uint64_t stored_size = 0;  // bytes in the blob store
  std::string source;        // "dimse:AE", "http", "import"
  int64_t received_at_ms = 0;
};

// Received bytes over stored bytes (the compression ratio); 0 when nothing
// is stored.
inline double StorageRatio(uint64_t received, uint64_t stored) {
  return stored == 0 ? 0.0 : static_cast<double>(received) / static_cast<double>(stored);
}

// What one modality takes: received bytes against stored bytes.
struct ModalityUsage {
  std::string modality;  // of the series; empty when the objects had none
  int64_t instance_versions = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_stored = 0;
};

struct Totals {
  int64_t patients = 0;
  int64_t studies = 0;
  int64_t series = 0;
  int64_t instances = 0;  // distinct SOP Instance UIDs
  int64_t instance_versions = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_stored = 0;
};

template <class T>
struct Page {
  std::vector<T> items;
  int64_t total = 0;  // matches before limit/offset
};

struct PatientQuery {
  Scope scope;
  std::string patient_id = {};    // exact, empty = any
  std::string patient_name = {};  // '*' and '?' wildcards, case-insensitive; empty = any
  int64_t limit = 100;
  int64_t offset = 0;
};

struct StudyQuery {
  Scope scope;
  std::string patient_id = {};        // exact
  std::string patient_name = {};      // wildcards '*', '?'
  std::string study_date_from = {};   // YYYYMMDD inclusive, empty = open
  std::string study_date_to = {};     // YYYYMMDD inclusive, empty = open
  std::string modality = {};          // any series of the study
  std::string accession_number = {};  // exact
  std::string study_instance_uid = {};
  int64_t limit = 100;
  int64_t offset = 0;
};

}  // namespace cf::catalog
