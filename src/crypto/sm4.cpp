// SPDX-License-Identifier: Apache-2.0
#include "crypto/sm4.hpp"

#include <algorithm>
#include <memory>

#include "crypto/evp.hpp"

namespace cf::crypto {
namespace {

using evp::Ctx;
using evp::kChunk;
using evp::U;

Result<void> Run(const EVP_CIPHER* cipher, ByteView key, const std::byte* iv, ByteView in,
                 std::span<std::byte> out) {
  if (key.size() != kSm4KeyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "an SM4 key is 16 bytes");
  }
  if (out.size() != in.size()) return Fail(ErrorCode::kInternal, "SM4: size mismatch");
  if (cipher == nullptr) return Fail(ErrorCode::kUnsupported, "SM4 is not in this OpenSSL");
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, U(key.data()), iv ? U(iv) : nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Fail(ErrorCode::kInternal, "SM4: init");
  }
  int len = 0;
  for (size_t off = 0; off < in.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, in.size() - off));
    if (EVP_EncryptUpdate(ctx.get(), U(out.data() + off), &len, U(in.data() + off), n) != 1 ||
        len != n) {
      return Fail(ErrorCode::kInternal, "SM4: encrypt");
    }
  }
  unsigned char tail[kSm4BlockBytes];
  if (EVP_EncryptFinal_ex(ctx.get(), tail, &len) != 1 || len != 0) {
    return Fail(ErrorCode::kInternal, "SM4: finish");
  }
  return {};
}

}  // namespace

Result<Sm4Block> Sm4EncryptBlock(ByteView key, const Sm4Block& block) {
  Sm4Block out{};
  auto r = Run(EVP_sm4_ecb(), key, nullptr, block, out);
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<void> Sm4Ctr(ByteView key, const Sm4Block& iv, ByteView in, std::span<std::byte> out) {
  return Run(EVP_sm4_ctr(), key, iv.data(), in, out);
}

}  // namespace cf::crypto
