// SPDX-License-Identifier: Apache-2.0
// Parsing of what a client puts in a request target: the path/query split,
// percent-decoding and the typed query parameters the JSON API accepts
// (paging, DICOM dates). Every failure is a kInvalidArgument whose message
// names the offending parameter, so that the client gets a 400 it can act
// on. Values are never logged: they may hold patient names and IDs.
// Internal to cf::http; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cf::http {

struct TargetParts {
  std::string_view path;   // before '?', still percent-encoded
  std::string_view query;  // after '?', without it; empty when absent
};

// Splits "/a/b?x=1#frag" into path and query; a fragment (which clients
// should not send) is dropped.
TargetParts SplitTarget(std::string_view target);

// Decodes %XX escapes; with `plus_as_space` also '+' (form encoding, used in
// query strings). Fails on a truncated or non-hex escape and on a decoded NUL.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// The decoded name=value pairs of a query string, in order.
class QueryParams {
 public:
  // Parses "a=1&b=x%20y&flag". A name without '=' has an empty value; empty
  // pairs ("a=1&&b=2") are skipped.
  static Result<QueryParams> Parse(std::string_view query);

  // The first value of `name`, or nullopt when absent or empty: an empty
  // value means "no filter", as if the parameter had not been sent.
  std::optional<std::string_view> Get(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& Items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// An integer parameter in [min_value, max_value]; `fallback` when absent.
Result<int64_t> GetInt(const QueryParams& params, std::string_view name, int64_t fallback,
                       int64_t min_value, int64_t max_value);

inline constexpr int64_t kDefaultLimit = 100;
inline constexpr int64_t kMaxLimit = 1000;

struct Paging {
  int64_t limit = kDefaultLimit;
  int64_t offset = 0;
};

// `limit` in [0, kMaxLimit] (default kDefaultLimit) and `offset` >= 0.
Result<Paging> GetPaging(const QueryParams& params);

// True for a real calendar date written YYYYMMDD.
bool IsValidDicomDate(std::string_view date);

struct DateRange {
  std::string from;  // YYYYMMDD inclusive, empty = open
  std::string to;    // YYYYMMDD inclusive, empty = open
};

// Parses a DICOM-style date or range: "YYYYMMDD", "YYYYMMDD-YYYYMMDD",
// "YYYYMMDD-" or "-YYYYMMDD". `name` is used in the error message.
Result<DateRange> ParseDateRange(std::string_view name, std::string_view value);

}  // namespace cf::http
