// SPDX-License-Identifier: Apache-2.0
// The national suite's AEAD: SM4-CTR, then HMAC-SM3 over what was encrypted
// (encrypt-then-MAC), behind the same Aead interface and the same sizes as
// AES-256-GCM (32-byte key, 96-bit nonce, 128-bit tag), so that sealed blobs,
// journal records and wrapped keys keep one format whatever the suite.
// SM4-GCM would be the natural choice, but Debian's OpenSSL 3.0 lacks it.
//
// From the 32-byte key, two independent keys are derived, so that the cipher
// and the MAC never share one:
//   enc = HMAC-SM3(key, "cloudfilm sm4-ctr key")[0..16)
//   mac = HMAC-SM3(key, "cloudfilm hmac-sm3 key")
// Counter block: the 12-byte nonce, then a 32-bit big-endian block counter
// from 0 (2^32 blocks, 64 GiB, per message before it would reach the nonce).
// Tag: the first 16 bytes of
//   HMAC-SM3(mac, "CFSM1" | u64 aad length | aad | nonce | u64 ciphertext
//            length | ciphertext)
// (lengths little endian, so that no split of aad and ciphertext collides).
// Open checks the tag in constant time before decrypting anything.
#pragma once

#include "crypto/aead.hpp"

namespace cf::crypto {

class Sm4CtrHmacSm3 final : public Aead {
 public:
  // kInvalidArgument unless `key` is 32 bytes.
  static Result<Sm4CtrHmacSm3> FromKey(ByteView key);

  CryptoSuite suite() const override { return CryptoSuite::kSm; }
  Result<void> Seal(ByteView aad, ByteView plaintext, std::span<std::byte> ciphertext,
                    AeadNonce& nonce, AeadTag& tag) const override;
  Result<void> Open(ByteView aad, const AeadNonce& nonce, ByteView ciphertext, const AeadTag& tag,
                    std::span<std::byte> plaintext) const override;

 private:
  Sm4CtrHmacSm3(SecretBytes enc_key, SecretBytes mac_key)
      : enc_key_(std::move(enc_key)), mac_key_(std::move(mac_key)) {}
  AeadTag Tag(ByteView aad, const AeadNonce& nonce, ByteView ciphertext) const;

  SecretBytes enc_key_;  // 16 bytes
  SecretBytes mac_key_;  // 32 bytes
};

}  // namespace cf::crypto
