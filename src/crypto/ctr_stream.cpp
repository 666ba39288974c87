// SPDX-License-Identifier: Apache-2.0
#include "crypto/ctr_stream.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

namespace cf::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

}  // namespace

Result<CtrStream> CtrStream::Create() {
  CtrStream s;
  if (RAND_bytes(s.key_, sizeof s.key_) != 1 || RAND_bytes(s.nonce_, sizeof s.nonce_) != 1) {
    return Fail(ErrorCode::kInternal, "cannot make a random key");
  }
  return s;
}

CtrStream::CtrStream(CtrStream&& other) noexcept {
  std::memcpy(key_, other.key_, sizeof key_);
  std::memcpy(nonce_, other.nonce_, sizeof nonce_);
  OPENSSL_cleanse(other.key_, sizeof other.key_);
  OPENSSL_cleanse(other.nonce_, sizeof other.nonce_);
}

CtrStream::~CtrStream() {
  OPENSSL_cleanse(key_, sizeof key_);
  OPENSSL_cleanse(nonce_, sizeof nonce_);
}

Result<void> CtrStream::Xor(uint64_t offset, const std::byte* in, std::byte* out,
                            size_t size) const {
  unsigned char counter[16];
  std::memcpy(counter, nonce_, sizeof nonce_);
  const uint64_t block = offset / 16;
  for (int i = 0; i < 8; ++i) counter[15 - i] = static_cast<unsigned char>(block >> (8 * i));
  Ctx ctx(EVP_CIPHER_CTX_new());
  int written = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key_, counter) != 1) {
    return Fail(ErrorCode::kInternal, "cannot set up the key stream");
  }
  OPENSSL_cleanse(counter, sizeof counter);
  // Into the block: skip the key stream before `offset`.
  if (const int skip = static_cast<int>(offset % 16); skip > 0) {
    unsigned char scratch[16] = {};
    if (EVP_EncryptUpdate(ctx.get(), scratch, &written, scratch, skip) != 1) {
      return Fail(ErrorCode::kInternal, "cannot run the key stream");
    }
  }
  constexpr size_t kMaxStep = size_t{1} << 30;  // EVP takes int lengths
  while (size > 0) {
    const size_t step = std::min(size, kMaxStep);
    if (EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out), &written,
                          reinterpret_cast<const unsigned char*>(in),
                          static_cast<int>(step)) != 1) {
      return Fail(ErrorCode::kInternal, "cannot run the key stream");
    }
    in += step;
    out += step;
    size -= step;
  }
  return {};
}

}  // namespace cf::crypto
