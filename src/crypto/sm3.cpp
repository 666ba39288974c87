// SPDX-License-Identifier: Apache-2.0
#include "crypto/sm3.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "crypto/hmac.hpp"

namespace cf::crypto {
namespace {

// A failing SM3 means an OpenSSL built without it: a broken installation,
// not an error a caller can handle.
[[noreturn]] void Broken(const char* what) {
  throw std::runtime_error(std::string("OpenSSL SM3 unavailable: ") + what);
}

}  // namespace

Sm3Digest Sm3(ByteView data) {
  Sm3Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sm3(), nullptr) != 1 ||
      len != out.size()) {
    Broken("digest");
  }
  return out;
}

Sm3Digest HmacSm3(ByteView key, std::initializer_list<ByteView> parts) {
  Sm3Digest out{};
  Hmac("SM3", key, parts, out);
  return out;
}

}  // namespace cf::crypto
