// SPDX-License-Identifier: Apache-2.0
#include "crypto/sm_aead.hpp"

#include <openssl/crypto.h>

#include <cstring>

#include "crypto/random.hpp"
#include "crypto/sm3.hpp"
#include "crypto/sm4.hpp"

namespace cf::crypto {
namespace {

std::array<std::byte, 8> Le64(uint64_t v) {
  std::array<std::byte, 8> out{};
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
  return out;
}

Sm4Block CounterBlock(const AeadNonce& nonce) {
  Sm4Block iv{};  // the last 4 bytes (the block counter) start at 0
  std::memcpy(iv.data(), nonce.data(), nonce.size());
  return iv;
}

}  // namespace

Result<Sm4CtrHmacSm3> Sm4CtrHmacSm3::FromKey(ByteView key) {
  if (key.size() != kAeadKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "an SM4-CTR + HMAC-SM3 key is 32 bytes");
  }
  Sm3Digest enc = HmacSm3(key, {AsBytes("cloudfilm sm4-ctr key")});
  Sm3Digest mac = HmacSm3(key, {AsBytes("cloudfilm hmac-sm3 key")});
  SecretBytes enc_key(ByteView(enc).first(kSm4KeyBytes));
  SecretBytes mac_key{ByteView(mac)};
  Wipe(enc);
  Wipe(mac);
  return Sm4CtrHmacSm3(std::move(enc_key), std::move(mac_key));
}

AeadTag Sm4CtrHmacSm3::Tag(ByteView aad, const AeadNonce& nonce, ByteView ciphertext) const {
  const auto aad_len = Le64(aad.size());
  const auto ct_len = Le64(ciphertext.size());
  Sm3Digest full =
      HmacSm3(mac_key_.view(), {AsBytes("CFSM1"), aad_len, aad, nonce, ct_len, ciphertext});
  AeadTag tag{};
  std::memcpy(tag.data(), full.data(), tag.size());
  return tag;
}

Result<void> Sm4CtrHmacSm3::Seal(ByteView aad, ByteView plaintext, std::span<std::byte> ciphertext,
                                 AeadNonce& nonce, AeadTag& tag) const {
  if (ciphertext.size() != plaintext.size()) {
    return Fail(ErrorCode::kInternal, "SM4-CTR: size mismatch");
  }
  RandomBytes(nonce);
  if (auto r = Sm4Ctr(enc_key_.view(), CounterBlock(nonce), plaintext, ciphertext); !r) return r;
  tag = Tag(aad, nonce, ciphertext);
  return {};
}

Result<void> Sm4CtrHmacSm3::Open(ByteView aad, const AeadNonce& nonce, ByteView ciphertext,
                                 const AeadTag& tag, std::span<std::byte> plaintext) const {
  if (ciphertext.size() != plaintext.size()) {
    return Fail(ErrorCode::kInternal, "SM4-CTR: size mismatch");
  }
  const AeadTag expected = Tag(aad, nonce, ciphertext);
  if (CRYPTO_memcmp(expected.data(), tag.data(), tag.size()) != 0) {
    return Fail(ErrorCode::kInternal,
                "cannot decrypt: wrong key, or the data was moved or altered");
  }
  return Sm4Ctr(enc_key_.view(), CounterBlock(nonce), ciphertext, plaintext);
}

}  // namespace cf::crypto
