// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the search path QIDO-RS and C-FIND share (`make
// fuzz`): a query string from the client is parsed (QueryParams), turned
// into a catalog::Query and run against a real SQLite catalog holding a
// few studies. The first input byte picks the level and fuzzy matching.
// Besides crashes and sanitizer findings it checks the promise that
// matters: a query ValidateQuery accepts runs (no SQL error reaches the
// client as a 500), and one it refuses fails with kInvalidArgument.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "catalog/query.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "http/query_params.hpp"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

cf::catalog::Catalog& TestCatalog() {
  static std::unique_ptr<cf::catalog::Catalog> catalog = [] {
    char pattern[] = "/tmp/cf-qido-fuzz-XXXXXX";
    Require(::mkdtemp(pattern) != nullptr);
    auto opened = cf::catalog::OpenSqliteCatalog({std::filesystem::path(pattern) / "c.sqlite"});
    Require(opened.has_value());
    const char* names[] = {"Wang^Xiaoming=王^小明", "Li^Na", "陈小明", ""};
    for (int i = 0; i < 8; ++i) {
      cf::dicom::ParsedInstance p;
      p.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
      p.sop_instance_uid = "1.2.3." + std::to_string(i);
      p.series_instance_uid = "1.2.2." + std::to_string(i / 2);
      p.study_instance_uid = "1.2.1." + std::to_string(i / 4);
      p.patient_id = "P" + std::to_string(i / 4);
      p.patient_name = names[i % 4 / 2 + (i / 4) * 2];
      p.study_date = i < 4 ? "20260110" : "20251231";
      p.study_time = "083000";
      p.modality = i % 2 ? "CT" : "MR";
      p.series_number = i;
      p.instance_number = i;
      p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
      cf::catalog::InstanceToIndex in;
      in.parsed = &p;
      in.sha256_hex = "sha" + std::to_string(i);
      in.blob_key = "k" + std::to_string(i);
      Require((*opened)->Index(in).has_value());
    }
    return std::move(*opened);
  }();
  return *catalog;
}

std::optional<cf::catalog::QueryAttr> AttrOf(std::string_view name) {
  if (auto attr = cf::catalog::QueryAttrForKeyword(name)) return attr;
  if (name.size() != 8) return std::nullopt;
  uint32_t tag = 0;
  for (char c : name) {
    const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return std::nullopt;
    tag = tag << 4 | static_cast<uint32_t>(v);
  }
  return cf::catalog::QueryAttrForTag(tag);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto& catalog = TestCatalog();
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto params = cf::http::QueryParams::Parse(input);
  if (!params) return 0;
  cf::catalog::Query query;
  query.level = static_cast<cf::catalog::QueryLevel>(data[0] & 3);
  query.fuzzy_names = (data[0] & 4) != 0;
  query.count_total = (data[0] & 8) != 0;
  query.limit = 20;
  for (const auto& [name, value] : params->Items()) {
    if (name == "offset") {
      query.offset = static_cast<int64_t>(value.size());
    } else if (auto attr = AttrOf(name)) {
      query.conditions.push_back({*attr, value});
    }
  }
  const bool valid = cf::catalog::ValidateQuery(query).has_value();
  auto page = catalog.Search(query);
  if (valid) {
    Require(page.has_value());
    Require(page->items.size() <= 20);
  } else {
    Require(!page.has_value() && page.error().code == cf::ErrorCode::kInvalidArgument);
  }
  return 0;
}
