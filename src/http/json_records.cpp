// SPDX-License-Identifier: Apache-2.0
// One function per record type, written out field by field rather than with
// nlohmann's macros: adding a field to a record must be a visible decision
// about whether clients may see it.
#include "http/json_records.hpp"

#include <cmath>

namespace cf::http {
namespace {

nlohmann::json OptionalInt(const std::optional<int>& value) {
  if (!value) return nullptr;
  return *value;
}

}  // namespace

nlohmann::json ToJson(const catalog::PatientRecord& patient) {
  return {
      {"tenant", patient.tenant},
      {"patient_id", patient.patient_id},
      {"issuer_of_patient_id", patient.issuer_of_patient_id},
      {"patient_name", patient.patient_name},
      {"birth_date", patient.birth_date},
      {"sex", patient.sex},
      {"num_studies", patient.num_studies},
  };
}

nlohmann::json ToJson(const catalog::StudyRecord& study) {
  return {
      {"tenant", study.tenant},
      {"study_instance_uid", study.study_instance_uid},
      {"patient_id", study.patient_id},
      {"issuer_of_patient_id", study.issuer_of_patient_id},
      {"patient_name", study.patient_name},
      {"patient_birth_date", study.patient_birth_date},
      {"patient_sex", study.patient_sex},
      {"study_date", study.study_date},
      {"study_time", study.study_time},
      {"accession_number", study.accession_number},
      {"study_id", study.study_id},
      {"study_description", study.study_description},
      {"referring_physician_name", study.referring_physician_name},
      {"modalities", study.modalities},
      {"num_series", study.num_series},
      {"num_instances", study.num_instances},
      {"updated_at_ms", study.updated_at_ms},
  };
}

nlohmann::json ToJson(const catalog::SeriesRecord& series) {
  return {
      {"series_instance_uid", series.series_instance_uid},
      {"study_instance_uid", series.study_instance_uid},
      {"modality", series.modality},
      {"series_number", OptionalInt(series.series_number)},
      {"series_description", series.series_description},
      {"body_part_examined", series.body_part_examined},
      {"num_instances", series.num_instances},
  };
}

nlohmann::json ToJson(const catalog::InstanceRecord& instance) {
  return {
      {"sop_instance_uid", instance.sop_instance_uid},
      {"sop_class_uid", instance.sop_class_uid},
      {"series_instance_uid", instance.series_instance_uid},
      {"study_instance_uid", instance.study_instance_uid},
      {"instance_number", OptionalInt(instance.instance_number)},
      {"transfer_syntax_uid", instance.transfer_syntax_uid},
      {"rows", OptionalInt(instance.rows)},
      {"columns", OptionalInt(instance.columns)},
      {"number_of_frames", OptionalInt(instance.number_of_frames)},
      {"version", instance.version},
      {"sha256_hex", instance.sha256_hex},
      {"size", instance.size},
      {"stored_size", instance.stored_size},
      {"source", instance.source},
      {"received_at_ms", instance.received_at_ms},
  };
}

double Ratio(uint64_t received, uint64_t stored) {
  return std::round(catalog::StorageRatio(received, stored) * 100.0) / 100.0;
}

nlohmann::json ToJson(const catalog::ModalityUsage& u) {
  return {{"modality", u.modality},
          {"instance_versions", u.instance_versions},
          {"bytes_received", u.bytes_received},
          {"bytes_stored", u.bytes_stored},
          {"ratio", Ratio(u.bytes_received, u.bytes_stored)}};
}

nlohmann::json ToJson(const catalog::Totals& totals) {
  return {
      {"patients", totals.patients},
      {"studies", totals.studies},
      {"series", totals.series},
      {"instances", totals.instances},
      {"instance_versions", totals.instance_versions},
      {"bytes_received", totals.bytes_received},
      {"bytes_stored", totals.bytes_stored},
  };
}

}  // namespace cf::http
