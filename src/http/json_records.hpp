// SPDX-License-Identifier: Apache-2.0
// Catalog records as JSON objects for the API. Field names are the
// snake_case member names of catalog/records.hpp, so the API and the code
// read the same; absent optional numbers are null. Internal storage details
// (blob keys) are left out: clients address objects by UID and version.
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/records.hpp"

namespace cf::http {

nlohmann::json ToJson(const catalog::PatientRecord& patient);
nlohmann::json ToJson(const catalog::StudyRecord& study);
nlohmann::json ToJson(const catalog::SeriesRecord& series);
nlohmann::json ToJson(const catalog::InstanceRecord& instance);
nlohmann::json ToJson(const catalog::Totals& totals);
nlohmann::json ToJson(const catalog::ModalityUsage& usage);

// received / stored, two decimals; 0 when nothing is stored.
double Ratio(uint64_t received, uint64_t stored);

// {"total":N,"limit":L,"offset":O,"items":[...]}.
template <class Record>
nlohmann::json PageToJson(const catalog::Page<Record>& page, int64_t limit, int64_t offset) {
  nlohmann::json items = nlohmann::json::array();
  for (const Record& record : page.items) items.push_back(ToJson(record));
  return {{"total", page.total}, {"limit", limit}, {"offset", offset}, {"items", std::move(items)}};
}

}  // namespace cf::http
