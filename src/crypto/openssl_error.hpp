// SPDX-License-Identifier: Apache-2.0
// The reason of the last OpenSSL failure, for operators' messages.
#pragma once

#include <string>

namespace cf::crypto {

// Clears OpenSSL's error queue, so that a stale error never shows up in a
// later message.
std::string OpensslReason();

}  // namespace cf::crypto
