// SPDX-License-Identifier: Apache-2.0
#include "http/dicom_json.hpp"

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

}  // namespace

nlohmann::json StudyToDicomJson(const catalog::StudyRecord& s) {
  nlohmann::json out = nlohmann::json::object();
  PutString(out, "00080005", "CS", "ISO_IR 192");
  PutString(out, "00080020", "DA", s.study_date);
  PutString(out, "00080030", "TM", s.study_time);
  PutString(out, "00080050", "SH", s.accession_number);
  PutStrings(out, "00080061", "CS", s.modalities);
  PutPersonName(out, "00080090", s.referring_physician_name);
  PutString(out, "00081030", "LO", s.study_description);
  PutPersonName(out, "00100010", s.patient_name);
  PutString(out, "00100020", "LO", s.patient_id);
  PutString(out, "00100021", "LO", s.issuer_of_patient_id);
  PutString(out, "00100030", "DA", s.patient_birth_date);
  PutString(out, "00100040", "CS", s.patient_sex);
  PutString(out, "0020000D", "UI", s.study_instance_uid);
  PutString(out, "00200010", "SH", s.study_id);
  PutInt(out, "00201206", s.num_series);
  PutInt(out, "00201208", s.num_instances);
  return out;
}

}  // namespace cf::http
