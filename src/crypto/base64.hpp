// SPDX-License-Identifier: Apache-2.0
// Standard base64 (RFC 4648 §4, padded), as FHIR attachments, JSON APIs
// and PEM write it. Tokens use base64url (token.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace cf::crypto {

std::string Base64Encode(ByteView bytes);
// nullopt for anything but padded standard base64 (no whitespace).
std::optional<Bytes> Base64Decode(std::string_view text);

}  // namespace cf::crypto
