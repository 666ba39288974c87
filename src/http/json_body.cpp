// SPDX-License-Identifier: Apache-2.0
#include "http/json_body.hpp"

namespace cf::http {

Result<nlohmann::json> JsonBody(const Request& req, std::string_view also) {
  const auto type = req.raw[boost::beast::http::field::content_type];
  const std::string_view given(type.data(), type.size());
  if (!given.starts_with("application/json") && (also.empty() || !given.starts_with(also))) {
    return Fail(ErrorCode::kUnsupported,
                "the body must be " + std::string(also.empty() ? "application/json" : also));
  }
  auto body = nlohmann::json::parse(req.raw.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  return body;
}

Result<std::string> StringField(const nlohmann::json& body, std::string_view name, bool required) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required)
      return Fail(ErrorCode::kInvalidArgument, "'" + std::string(name) + "' is required");
    return std::string();
  }
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, "'" + std::string(name) + "' must be a string");
  }
  return it->get<std::string>();
}

Result<void> ReadStringFields(const nlohmann::json& body, std::initializer_list<StringSlot> slots) {
  for (const StringSlot& slot : slots) {
    auto value = StringField(body, slot.name, slot.required);
    if (!value) return std::unexpected(value.error());
    *slot.out = std::move(*value);
  }
  return {};
}

}  // namespace cf::http
