// SPDX-License-Identifier: Apache-2.0
// The catalog the search fuzzers run against (qido_fuzz.cpp and the
// Query/Retrieve identifier harness): two hospitals, "north" and "south",
// whose patients reuse the same IDs and whose first studies share their
// UIDs, as independent hospitals' records do. UIDs are unique per tenant
// only, so a search that leaks across tenants would find look-alikes; the
// fuzzers check every answer's tenant against the scope they searched in.
#pragma once

#include <string_view>

#include "catalog/catalog.hpp"
#include "catalog/query.hpp"

namespace cf::fuzz {

inline constexpr const char* kNorth = "north";
inline constexpr const char* kSouth = "south";
// In both hospitals, under the same Patient ID.
inline constexpr const char* kSharedStudy = "1.2.826.0.1.3680043.10.543.9.1";
// Each in one hospital only.
inline constexpr const char* kNorthStudy = "1.2.826.0.1.3680043.10.543.9.2";
inline constexpr const char* kSouthStudy = "1.2.826.0.1.3680043.10.543.9.3";

// Created in $TMPDIR on first use and kept until the process exits.
// Searches only: callers must not write to it.
catalog::Catalog& TwoHospitalCatalog();

// Whether every record `match` carries for `level` belongs to `scope`: the
// patient's and the study's tenant, and the study when the scope is
// restricted to some studies (a patient's share).
bool MatchInScope(const catalog::QueryMatch& match, catalog::QueryLevel level,
                  const catalog::Scope& scope);

}  // namespace cf::fuzz
