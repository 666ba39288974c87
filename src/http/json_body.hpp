// SPDX-License-Identifier: Apache-2.0
// The JSON object a request carries, and its string members, with the
// problems every JSON route answers alike. Internal to the http part.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace cf::http {

// The body as a JSON object. Content-Type must be application/json (or
// `also`, e.g. application/fhir+json): kUnsupported (415) otherwise;
// kInvalidArgument when the body is not a JSON object.
Result<nlohmann::json> JsonBody(const Request& req, std::string_view also = {});

// A string member: absent or null is empty (kInvalidArgument "'x' is
// required" when `required`); another type is kInvalidArgument.
Result<std::string> StringField(const nlohmann::json& body, std::string_view name,
                                bool required = false);

// Several string members at once, each into its `out` (StringField's
// rules); the first problem is returned.
struct StringSlot {
  std::string_view name;
  std::string* out = nullptr;
  bool required = false;
};
Result<void> ReadStringFields(const nlohmann::json& body, std::initializer_list<StringSlot> slots);

}  // namespace cf::http
