// SPDX-License-Identifier: Apache-2.0
// DICOM JSON (PS3.18 Annex F) for catalog records: the study-level
// attributes QIDO-RS answers with. Text is UTF-8, so every object carries
// Specific Character Set ISO_IR 192.
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/records.hpp"

namespace cf::http {

nlohmann::json StudyToDicomJson(const catalog::StudyRecord& study);

}  // namespace cf::http
