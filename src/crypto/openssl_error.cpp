// SPDX-License-Identifier: Apache-2.0
#include "crypto/openssl_error.hpp"

#include <openssl/err.h>

namespace cf::crypto {

std::string OpensslReason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace cf::crypto
