// SPDX-License-Identifier: Apache-2.0
// What the access tests share: cheap password hashing, readable errors,
// and credentials made of a cookie.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "access/access.hpp"
#include "crypto/password.hpp"

namespace cf::access::test {

// Argon2id at the tests' low cost, and no address limit in the way.
inline AccessOptions TestOptions() {
  AccessOptions options;
  options.password_ops = crypto::TestPasswordCost().ops;
  options.password_mem_bytes = crypto::TestPasswordCost().mem_bytes;
  options.login_attempts_per_minute = 100'000;
  return options;
}

template <class T>
std::string ErrorOf(const Result<T>& result) {
  return result ? std::string("(ok)")
                : std::string(ToString(result.error().code)) + ": " + result.error().message;
}

// The slug a client branches on: "share-revoked", "(ok)" or "" when unset.
template <class T>
std::string ReasonOf(const Result<T>& result) {
  return result ? std::string("(ok)") : result.error().reason;
}

template <class T>
std::optional<ErrorCode> CodeOf(const Result<T>& result) {
  if (result) return std::nullopt;
  return result.error().code;
}

inline Credentials Cookie(std::string_view cookie, bool state_changing = false,
                          std::string_view csrf = {}) {
  Credentials c;
  c.session_cookie = cookie;
  c.state_changing = state_changing;
  c.csrf_token = csrf;
  return c;
}

}  // namespace cf::access::test
