// SPDX-License-Identifier: Apache-2.0
// What the cipher code (aead.cpp, sm4.cpp) needs around OpenSSL's EVP
// interface. Internal to the crypto part.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <memory>

namespace cf::crypto::evp {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

inline const unsigned char* U(const std::byte* p) {
  return reinterpret_cast<const unsigned char*>(p);
}
inline unsigned char* U(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }

// EVP takes int lengths; objects may exceed 2 GiB.
inline constexpr size_t kChunk = size_t{1} << 30;

}  // namespace cf::crypto::evp
