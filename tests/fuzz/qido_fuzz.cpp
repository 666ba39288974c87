// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the search path QIDO-RS and C-FIND share (`make
// fuzz`): a query string from the client is parsed (QueryParams), turned
// into a catalog::Query and run against a real SQLite catalog of two
// hospitals (two_hospital_catalog.hpp). The first input byte picks the
// level (bits 0-1), fuzzy matching (bit 2), a total count (bit 3) and the
// scope: one hospital or the other (bit 4), a patient's share of one study
// (bit 5). Besides crashes and sanitizer findings it checks the promises
// that matter: a query ValidateQuery accepts runs (no SQL error reaches the
// client as a 500), one it refuses fails with kInvalidArgument, and no
// match belongs to another hospital or, in a share, another study.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "catalog/query.hpp"
#include "fuzz/require.hpp"
#include "fuzz/two_hospital_catalog.hpp"
#include "http/query_params.hpp"

namespace {

using cf::fuzz::Require;

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
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto params = cf::http::QueryParams::Parse(input);
  if (!params) return 0;
  const char* tenant = data[0] & 16 ? cf::fuzz::kSouth : cf::fuzz::kNorth;
  cf::catalog::Query query{data[0] & 32
                               ? cf::catalog::Scope::Studies(tenant, {cf::fuzz::kSharedStudy})
                               : cf::catalog::Scope::Of(tenant)};
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
  auto page = cf::fuzz::TwoHospitalCatalog().Search(query);
  if (valid) {
    Require(page.has_value());
    Require(page->items.size() <= 20);
    for (const auto& match : page->items) {
      Require(cf::fuzz::MatchInScope(match, query.level, query.scope));
    }
  } else {
    Require(!page.has_value() && page.error().code == cf::ErrorCode::kInvalidArgument);
  }
  return 0;
}
