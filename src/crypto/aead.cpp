// SPDX-License-Identifier: Apache-2.0
#include "crypto/aead.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "crypto/evp.hpp"
#include "crypto/random.hpp"

namespace cf::crypto {
namespace {

using evp::Ctx;
using evp::kChunk;
using evp::U;

Error CryptoFailure(const char* what) {
  return Error{ErrorCode::kInternal, std::string("AES-GCM: ") + what};
}

}  // namespace

void Wipe(std::span<std::byte> bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    Wipe();
    bytes_ = std::move(o.bytes_);
    o.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() { crypto::Wipe(bytes_); }

Result<Aes256Gcm> Aes256Gcm::FromKey(ByteView key) {
  if (key.size() != kAeadKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "an AES-256 key is 32 bytes");
  }
  return Aes256Gcm(SecretBytes(key));
}

Result<void> Aes256Gcm::Seal(ByteView aad, ByteView plaintext, std::span<std::byte> ciphertext,
                             AeadNonce& nonce, AeadTag& tag) const {
  if (ciphertext.size() != plaintext.size()) return std::unexpected(CryptoFailure("size mismatch"));
  RandomBytes(nonce);
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kAeadNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key_.view().data()), U(nonce.data())) !=
          1) {
    return std::unexpected(CryptoFailure("init"));
  }
  int len = 0;
  for (size_t off = 0; off < aad.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, aad.size() - off));
    if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad.data() + off), n) != 1) {
      return std::unexpected(CryptoFailure("aad"));
    }
  }
  for (size_t off = 0; off < plaintext.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, plaintext.size() - off));
    if (EVP_EncryptUpdate(ctx.get(), U(ciphertext.data() + off), &len, U(plaintext.data() + off),
                          n) != 1 ||
        len != n) {
      return std::unexpected(CryptoFailure("encrypt"));
    }
  }
  unsigned char tail[16];
  if (EVP_EncryptFinal_ex(ctx.get(), tail, &len) != 1 || len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes, U(tag.data())) != 1) {
    return std::unexpected(CryptoFailure("finish"));
  }
  return {};
}

Result<void> Aes256Gcm::Open(ByteView aad, const AeadNonce& nonce, ByteView ciphertext,
                             const AeadTag& tag, std::span<std::byte> plaintext) const {
  if (ciphertext.size() != plaintext.size()) return std::unexpected(CryptoFailure("size mismatch"));
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kAeadNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key_.view().data()), U(nonce.data())) !=
          1) {
    return std::unexpected(CryptoFailure("init"));
  }
  int len = 0;
  for (size_t off = 0; off < aad.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, aad.size() - off));
    if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad.data() + off), n) != 1) {
      return std::unexpected(CryptoFailure("aad"));
    }
  }
  for (size_t off = 0; off < ciphertext.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, ciphertext.size() - off));
    if (EVP_DecryptUpdate(ctx.get(), U(plaintext.data() + off), &len, U(ciphertext.data() + off),
                          n) != 1 ||
        len != n) {
      return std::unexpected(CryptoFailure("decrypt"));
    }
  }
  AeadTag expected = tag;  // the ctrl takes a non-const pointer
  unsigned char tail[16];
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes, U(expected.data())) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), tail, &len) != 1) {
    return Fail(ErrorCode::kInternal,
                "cannot decrypt: wrong key, or the data was moved or altered");
  }
  return {};
}

Result<Bytes> Aead::SealPacked(ByteView aad, ByteView plaintext) const {
  Bytes out(kAeadOverhead + plaintext.size());
  AeadNonce nonce;
  AeadTag tag;
  auto r =
      Seal(aad, plaintext, std::span(out).subspan(kAeadNonceBytes, plaintext.size()), nonce, tag);
  if (!r) return std::unexpected(r.error());
  std::memcpy(out.data(), nonce.data(), nonce.size());
  std::memcpy(out.data() + kAeadNonceBytes + plaintext.size(), tag.data(), tag.size());
  return out;
}

Result<void> Aead::OpenPacked(ByteView aad, ByteView packed, std::span<std::byte> plaintext) const {
  if (packed.size() < kAeadOverhead || plaintext.size() != packed.size() - kAeadOverhead) {
    return Fail(ErrorCode::kInternal, "cannot decrypt: truncated message");
  }
  AeadNonce nonce;
  AeadTag tag;
  std::memcpy(nonce.data(), packed.data(), nonce.size());
  std::memcpy(tag.data(), packed.data() + packed.size() - tag.size(), tag.size());
  return Open(aad, nonce, packed.subspan(kAeadNonceBytes, plaintext.size()), tag, plaintext);
}

}  // namespace cf::crypto
