// SPDX-License-Identifier: Apache-2.0
// Authenticated encryption behind one interface (Aead), so that sealed
// formats do not depend on the crypto suite: every implementation takes a
// 32-byte key, a 96-bit nonce and a 128-bit tag. The default suite's
// AES-256-GCM lives here; the national suite's SM4-CTR + HMAC-SM3 in
// sm_aead.hpp; MakeAead (suite.hpp) picks one.
//
// AES-256-GCM (OpenSSL EVP): a random 96-bit
// nonce per message, a 128-bit tag, and associated data that is
// authenticated but not stored (the caller binds where a message belongs,
// such as a blob's key, so that a message moved elsewhere fails to open).
//
// Nonces are random: with one key, the chance of a repeat stays below 2^-32
// for up to 2^32 messages (NIST SP 800-38D, 8.3). A data key that seals more
// than that must be rotated (key ids in every record make that possible).
//
// Key material lives in SecretBytes, which wipes it (OPENSSL_cleanse) when
// destroyed. Nothing here logs or prints a key.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/suite.hpp"

namespace cf::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;
// Of a packed message: nonce, ciphertext, tag.
inline constexpr size_t kAeadOverhead = kAeadNonceBytes + kAeadTagBytes;

using AeadNonce = std::array<std::byte, kAeadNonceBytes>;
using AeadTag = std::array<std::byte, kAeadTagBytes>;

// Bytes that are wiped when destroyed. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  explicit SecretBytes(ByteView bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) { o.bytes_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  ByteView view() const { return bytes_; }
  std::span<std::byte> span() { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  void Wipe();
  Bytes bytes_;
};

// Wipes `bytes` (OPENSSL_cleanse, which the compiler cannot drop).
void Wipe(std::span<std::byte> bytes);

// One key of some suite, ready to seal and open. Implementations are
// thread-safe (immutable); each call uses its own cipher context.
class Aead {
 public:
  virtual ~Aead() = default;

  virtual CryptoSuite suite() const = 0;

  // Encrypts `plaintext` into `ciphertext` (same size; may be the same
  // memory) under a fresh random nonce, binding `aad`.
  virtual Result<void> Seal(ByteView aad, ByteView plaintext, std::span<std::byte> ciphertext,
                            AeadNonce& nonce, AeadTag& tag) const = 0;

  // Decrypts and checks the tag. kInternal ("cannot decrypt") when the key,
  // nonce, associated data, ciphertext or tag differ from those sealed; the
  // contents of `plaintext` are then unspecified (the caller discards them).
  virtual Result<void> Open(ByteView aad, const AeadNonce& nonce, ByteView ciphertext,
                            const AeadTag& tag, std::span<std::byte> plaintext) const = 0;

  // Packed messages: nonce | ciphertext | tag.
  Result<Bytes> SealPacked(ByteView aad, ByteView plaintext) const;
  // REQUIRES: plaintext.size() == packed.size() - kAeadOverhead.
  Result<void> OpenPacked(ByteView aad, ByteView packed, std::span<std::byte> plaintext) const;
};

// AES-256-GCM: the default suite.
class Aes256Gcm final : public Aead {
 public:
  // kInvalidArgument unless `key` is 32 bytes.
  static Result<Aes256Gcm> FromKey(ByteView key);

  CryptoSuite suite() const override { return CryptoSuite::kDefault; }
  Result<void> Seal(ByteView aad, ByteView plaintext, std::span<std::byte> ciphertext,
                    AeadNonce& nonce, AeadTag& tag) const override;
  Result<void> Open(ByteView aad, const AeadNonce& nonce, ByteView ciphertext, const AeadTag& tag,
                    std::span<std::byte> plaintext) const override;

 private:
  explicit Aes256Gcm(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace cf::crypto
