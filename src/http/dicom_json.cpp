// SPDX-License-Identifier: Apache-2.0
#include "http/dicom_json.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cf::http {
namespace {

void PutString(nlohmann::json& out, const char* tag, const char* vr, const std::string& value) {
  nlohmann::json attr = {{"vr", vr}};
  if (!value.empty()) attr["Value"] = nlohmann::json::array({value});
  out[tag] = std::move(attr);
}

void PutStrings(nlohmann::json& out, const char* tag, const char* vr,
                const std::vector<std::string>& values) {
  nlohmann::json attr = {{"vr", vr}};
  if (!values.empty()) attr["Value"] = values;
  out[tag] = std::move(attr);
}

void PutInt(nlohmann::json& out, const char* tag, int64_t value) {
  out[tag] = {{"vr", "IS"}, {"Value", nlohmann::json::array({value})}};
}

// PS3.18 F.2.2: a PN value is an object with up to three component groups.
void PutPersonName(nlohmann::json& out, const char* tag, const std::string& pn) {
  nlohmann::json attr = {{"vr", "PN"}};
  if (!pn.empty()) {
    static constexpr const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
    nlohmann::json name = nlohmann::json::object();
    size_t start = 0;
    for (int g = 0; g < 3 && start <= pn.size(); ++g) {
      const size_t end = pn.find('=', start);
      const std::string part =
          pn.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!part.empty()) name[kGroups[g]] = part;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    attr["Value"] = nlohmann::json::array({name});
  }
  out[tag] = std::move(attr);
}

void PutOptionalInt(nlohmann::json& out, const char* tag, const char* vr,
                    const std::optional<int>& value) {
  nlohmann::json attr = {{"vr", vr}};
  if (value) attr["Value"] = nlohmann::json::array({*value});
  out[tag] = std::move(attr);
}

void PutUrl(nlohmann::json& out, const std::string& url) {
  if (!url.empty()) PutString(out, "00081190", "UR", url);
}

void PutCommon(nlohmann::json& out) {
  PutString(out, "00080005", "CS", "ISO_IR 192");
  // Everything we hold is on line: no nearline tier yet.
  PutString(out, "00080056", "CS", "ONLINE");
}

}  // namespace

void AddPatientJson(nlohmann::json& out, const catalog::PatientRecord& p) {
  PutString(out, "00080005", "CS", "ISO_IR 192");
  PutPersonName(out, "00100010", p.patient_name);
  PutString(out, "00100020", "LO", p.patient_id);
  PutString(out, "00100021", "LO", p.issuer_of_patient_id);
  PutString(out, "00100030", "DA", p.birth_date);
  PutString(out, "00100040", "CS", p.sex);
  PutInt(out, "00201200", p.num_studies);
}

void AddStudyJson(nlohmann::json& out, const catalog::StudyRecord& s,
                  const std::string& retrieve_url) {
  PutCommon(out);
  PutString(out, "00080020", "DA", s.study_date);
  PutString(out, "00080030", "TM", s.study_time);
  PutString(out, "00080050", "SH", s.accession_number);
  PutStrings(out, "00080061", "CS", s.modalities);
  PutPersonName(out, "00080090", s.referring_physician_name);
  PutString(out, "00081030", "LO", s.study_description);
  PutUrl(out, retrieve_url);
  PutPersonName(out, "00100010", s.patient_name);
  PutString(out, "00100020", "LO", s.patient_id);
  PutString(out, "00100021", "LO", s.issuer_of_patient_id);
  PutString(out, "00100030", "DA", s.patient_birth_date);
  PutString(out, "00100040", "CS", s.patient_sex);
  PutString(out, "0020000D", "UI", s.study_instance_uid);
  PutString(out, "00200010", "SH", s.study_id);
  PutInt(out, "00201206", s.num_series);
  PutInt(out, "00201208", s.num_instances);
}

void AddSeriesJson(nlohmann::json& out, const catalog::SeriesRecord& s,
                   const std::string& retrieve_url) {
  PutCommon(out);
  PutString(out, "00080021", "DA", s.series_date);
  PutString(out, "00080031", "TM", s.series_time);
  PutString(out, "00080060", "CS", s.modality);
  PutString(out, "0008103E", "LO", s.series_description);
  PutUrl(out, retrieve_url);
  PutString(out, "00180015", "CS", s.body_part_examined);
  PutString(out, "00400244", "DA", s.performed_procedure_step_start_date);
  PutString(out, "00400245", "TM", s.performed_procedure_step_start_time);
  PutString(out, "0020000D", "UI", s.study_instance_uid);
  PutString(out, "0020000E", "UI", s.series_instance_uid);
  PutOptionalInt(out, "00200011", "IS", s.series_number);
  PutInt(out, "00201209", s.num_instances);
}

void AddInstanceJson(nlohmann::json& out, const catalog::InstanceRecord& i,
                     const std::string& retrieve_url) {
  PutCommon(out);
  PutString(out, "00080016", "UI", i.sop_class_uid);
  PutString(out, "00080018", "UI", i.sop_instance_uid);
  PutUrl(out, retrieve_url);
  // The transfer syntax the object can be retrieved in without conversion.
  PutString(out, "00083002", "UI", i.transfer_syntax_uid);
  PutString(out, "0020000D", "UI", i.study_instance_uid);
  PutString(out, "0020000E", "UI", i.series_instance_uid);
  PutOptionalInt(out, "00200013", "IS", i.instance_number);
  PutOptionalInt(out, "00280008", "IS", i.number_of_frames);
  PutOptionalInt(out, "00280010", "US", i.rows);
  PutOptionalInt(out, "00280011", "US", i.columns);
}

}  // namespace cf::http
