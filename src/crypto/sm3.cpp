// SPDX-License-Identifier: Apache-2.0
#include "crypto/sm3.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <stdexcept>

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
  struct CtxFree {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
  };
  // Fetched once and kept for the life of the process.
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (kHmac == nullptr) Broken("HMAC");
  std::unique_ptr<EVP_MAC_CTX, CtxFree> ctx(EVP_MAC_CTX_new(kHmac));
  char digest[] = "SM3";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  // HMAC refuses an empty key pointer; an empty key is still a valid key.
  static const unsigned char kEmpty[1] = {0};
  const auto* k = key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (!ctx || EVP_MAC_init(ctx.get(), k, key.size(), params) != 1) Broken("HMAC init");
  for (ByteView part : parts) {
    if (!part.empty() &&
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      Broken("HMAC update");
    }
  }
  Sm3Digest out{};
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != out.size()) {
    Broken("HMAC final");
  }
  return out;
}

}  // namespace cf::crypto
