// SPDX-License-Identifier: Apache-2.0
#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace cf::crypto {
namespace {

[[noreturn]] void Broken(const char* digest, const char* what) {
  throw std::runtime_error(std::string("OpenSSL HMAC-") + digest + " unavailable: " + what);
}

}  // namespace

void Hmac(const char* digest, ByteView key, std::initializer_list<ByteView> parts,
          std::span<std::byte> out) {
  struct CtxFree {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
  };
  // Fetched once and kept for the life of the process.
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (kHmac == nullptr) Broken(digest, "HMAC");
  std::unique_ptr<EVP_MAC_CTX, CtxFree> ctx(EVP_MAC_CTX_new(kHmac));
  std::string name = digest;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name.data(), 0), OSSL_PARAM_END};
  // HMAC refuses an empty key pointer; an empty key is still a valid key.
  static const unsigned char kEmpty[1] = {0};
  const auto* k = key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (!ctx || EVP_MAC_init(ctx.get(), k, key.size(), params) != 1) Broken(digest, "init");
  for (ByteView part : parts) {
    if (!part.empty() &&
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      Broken(digest, "update");
    }
  }
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != out.size()) {
    Broken(digest, "final");
  }
}

Sha256Digest HmacSha256(ByteView key, ByteView data) {
  Sha256Digest out{};
  Hmac("SHA256", key, {data}, std::as_writable_bytes(std::span(out)));
  return out;
}

}  // namespace cf::crypto
