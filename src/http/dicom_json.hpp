// SPDX-License-Identifier: Apache-2.0
// DICOM JSON (PS3.18 Annex F) for catalog records: the attributes QIDO-RS
// answers with at each level. Text is UTF-8, so every object carries
// Specific Character Set ISO_IR 192. Each Add* function adds its level's
// attributes to `out` (an object keyed by tag).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "catalog/records.hpp"

namespace cf::http {

void AddPatientJson(nlohmann::json& out, const catalog::PatientRecord& patient);
// Patient attributes included. `retrieve_url` empty: no RetrieveURL.
void AddStudyJson(nlohmann::json& out, const catalog::StudyRecord& study,
                  const std::string& retrieve_url);
void AddSeriesJson(nlohmann::json& out, const catalog::SeriesRecord& series,
                   const std::string& retrieve_url);
void AddInstanceJson(nlohmann::json& out, const catalog::InstanceRecord& instance,
                     const std::string& retrieve_url);

}  // namespace cf::http
