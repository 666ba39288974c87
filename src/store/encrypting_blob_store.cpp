// SPDX-License-Identifier: Apache-2.0
#include "store/encrypting_blob_store.hpp"

#include <cstring>

namespace cf::store {
namespace {

constexpr char kMagic[4] = {'C', 'F', 'X', '1'};
constexpr size_t kHeader = 4 + 4 + crypto::kAeadNonceBytes;

// Domain-separated from the journal's associated data.
Bytes BlobAad(std::string_view key) {
  static constexpr std::string_view kLabel{"cloudfilm-blob-v1", 18};  // with its NUL
  Bytes aad(kLabel.size() + key.size());
  std::memcpy(aad.data(), kLabel.data(), kLabel.size());
  std::memcpy(aad.data() + kLabel.size(), key.data(), key.size());
  return aad;
}

}  // namespace

EncryptingBlobStore::EncryptingBlobStore(std::unique_ptr<BlobStore> inner, crypto::KeyStore& keys,
                                         bool encrypt_writes)
    : inner_(std::move(inner)), keys_(keys), encrypt_writes_(encrypt_writes) {}

bool EncryptingBlobStore::IsSealed(ByteView blob) {
  return blob.size() >= kSealedBlobOverhead && std::memcmp(blob.data(), kMagic, 4) == 0;
}

Result<uint32_t> EncryptingBlobStore::SealedKeyId(std::string_view key) {
  auto head = inner_->GetPrefix(key, kSealedBlobOverhead);
  if (!head) return std::unexpected(head.error());
  if (!IsSealed(*head)) return 0;
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id |= static_cast<uint32_t>((*head)[4 + i]) << (8 * i);
  return id;
}

Result<void> EncryptingBlobStore::Put(std::string_view key, ByteView data) {
  if (!encrypt_writes_) return inner_->Put(key, data);
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  auto dk = keys_.Active(TenantOfBlobKey(key));
  if (!dk) return std::unexpected(dk.error());
  Bytes sealed(kSealedBlobOverhead + data.size());
  std::memcpy(sealed.data(), kMagic, 4);
  const uint32_t id = (*dk)->id;
  for (int i = 0; i < 4; ++i) sealed[4 + i] = static_cast<std::byte>(id >> (8 * i));
  crypto::AeadNonce nonce;
  crypto::AeadTag tag;
  const Bytes aad = BlobAad(key);
  auto r =
      (*dk)->aead->Seal(aad, data, std::span(sealed).subspan(kHeader, data.size()), nonce, tag);
  if (!r) return r;
  std::memcpy(sealed.data() + 8, nonce.data(), nonce.size());
  std::memcpy(sealed.data() + kHeader + data.size(), tag.data(), tag.size());
  return inner_->Put(key, sealed);
}

Result<Bytes> EncryptingBlobStore::Get(std::string_view key) {
  auto blob = inner_->Get(key);
  if (!blob || !IsSealed(*blob)) return blob;  // legacy plaintext
  Bytes& b = *blob;
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id |= static_cast<uint32_t>(b[4 + i]) << (8 * i);
  auto dk = keys_.Find(id);
  if (!dk) {
    return Fail(ErrorCode::kInternal,
                "cannot decrypt blob " + std::string(key) + ": " + dk.error().message);
  }
  crypto::AeadNonce nonce;
  crypto::AeadTag tag;
  const size_t n = b.size() - kSealedBlobOverhead;
  std::memcpy(nonce.data(), b.data() + 8, nonce.size());
  std::memcpy(tag.data(), b.data() + kHeader + n, tag.size());
  // In place: the plaintext overwrites the ciphertext, then moves to the front.
  const std::span<std::byte> body = std::span(b).subspan(kHeader, n);
  if (!(*dk)->aead->Open(BlobAad(key), nonce, body, tag, body)) {
    return Fail(ErrorCode::kInternal, "cannot decrypt blob " + std::string(key) + " (data key " +
                                          std::to_string(id) +
                                          "): it was moved from another key, or altered");
  }
  std::memmove(b.data(), b.data() + kHeader, n);
  b.resize(n);
  return blob;
}

}  // namespace cf::store
