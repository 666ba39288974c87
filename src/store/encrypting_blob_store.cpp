// SPDX-License-Identifier: Apache-2.0
#include "store/encrypting_blob_store.hpp"

#include <array>
#include <cstring>

namespace cf::store {
namespace {

constexpr char kMagic[4] = {'C', 'F', 'X', '1'};
constexpr size_t kHeader = kSealedBlobHeader;

uint32_t HeaderKeyId(const std::byte* header) {
  return static_cast<uint32_t>(LoadLe(header + 4, 4));
}

crypto::AeadNonce HeaderNonce(const std::byte* header) {
  crypto::AeadNonce nonce;
  std::memcpy(nonce.data(), header + 8, nonce.size());
  return nonce;
}

}  // namespace

Bytes EncryptingBlobStore::AssociatedData(std::string_view key) {
  static constexpr std::string_view kLabel{"cloudfilm-blob-v1", 18};  // with its NUL
  Bytes aad(kLabel.size() + key.size());
  std::memcpy(aad.data(), kLabel.data(), kLabel.size());
  if (!key.empty()) std::memcpy(aad.data() + kLabel.size(), key.data(), key.size());
  return aad;
}

std::array<std::byte, kSealedBlobHeader> EncryptingBlobStore::Header(
    uint32_t key_id, const crypto::AeadNonce& nonce) {
  std::array<std::byte, kSealedBlobHeader> h;
  std::memcpy(h.data(), kMagic, 4);
  StoreLe(h.data() + 4, key_id, 4);
  std::memcpy(h.data() + 8, nonce.data(), nonce.size());
  return h;
}

Result<Bytes> EncryptingBlobStore::OpenSealed(const crypto::DataKey& data_key, std::string_view key,
                                              ByteView sealed) {
  if (!IsSealed(sealed) || sealed.size() < kSealedBlobOverhead ||
      HeaderKeyId(sealed.data()) != data_key.id) {
    return Fail(ErrorCode::kInvalidArgument,
                "not a sealed blob of data key " + std::to_string(data_key.id));
  }
  const size_t n = sealed.size() - kSealedBlobOverhead;
  crypto::AeadTag tag;
  std::memcpy(tag.data(), sealed.data() + kHeader + n, tag.size());
  Bytes out(n);
  if (!data_key.aead->Open(AssociatedData(key), HeaderNonce(sealed.data()),
                           sealed.subspan(kHeader, n), tag, out)) {
    return Fail(ErrorCode::kInternal, "cannot decrypt sealed blob " + std::string(key) +
                                          ": it was sealed for another key, or altered");
  }
  return out;
}

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
  return HeaderKeyId(head->data());
}

Result<void> EncryptingBlobStore::Put(std::string_view key, ByteView data, WriteHint hint) {
  if (!encrypt_writes_) return inner_->Put(key, data, hint);
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  auto dk = keys_.Active(TenantOfBlobKey(key));
  if (!dk) return std::unexpected(dk.error());
  Bytes sealed(kSealedBlobOverhead + data.size());
  crypto::AeadNonce nonce;
  crypto::AeadTag tag;
  auto r = (*dk)->aead->Seal(AssociatedData(key), data,
                             std::span(sealed).subspan(kHeader, data.size()), nonce, tag);
  if (!r) return r;
  const auto header = Header((*dk)->id, nonce);
  std::memcpy(sealed.data(), header.data(), header.size());
  std::memcpy(sealed.data() + kHeader + data.size(), tag.data(), tag.size());
  return inner_->Put(key, sealed, hint);
}

Result<void> EncryptingBlobStore::PutSealed(std::string_view key, ByteView sealed, WriteHint hint) {
  if (!encrypt_writes_) return Fail(ErrorCode::kUnsupported, "blob writes are not sealed");
  if (!IsValidBlobKey(key)) return Fail(ErrorCode::kInvalidArgument, "invalid blob key");
  if (!IsSealed(sealed)) return Fail(ErrorCode::kInvalidArgument, "not a sealed blob");
  // The key Put would seal with now: a blob sealed before a rotation is
  // sealed again under the new key rather than left for re-encryption,
  // and a blob can never go in under another tenant's key.
  auto dk = keys_.Active(TenantOfBlobKey(key));
  if (!dk) return std::unexpected(dk.error());
  if ((*dk)->id != HeaderKeyId(sealed.data())) {
    return Fail(ErrorCode::kUnsupported, "sealed under another key than the active one");
  }
  return inner_->Put(key, sealed, hint);
}

Result<Bytes> EncryptingBlobStore::Get(std::string_view key) {
  auto checked = GetChecked(key);
  if (!checked) return std::unexpected(checked.error());
  return std::move(checked->bytes);
}

Result<BlobStore::Checked> EncryptingBlobStore::GetChecked(std::string_view key, Bytes buffer) {
  // The header apart, the ciphertext and tag into the buffer that is
  // returned: decrypted in place, nothing moved afterwards.
  std::array<std::byte, kHeader> head;
  auto body = inner_->GetSplit(key, head, std::move(buffer));
  if (!body) {
    if (body.error().code != ErrorCode::kInvalidArgument) return std::unexpected(body.error());
    auto small = inner_->Get(key);  // a plaintext blob shorter than a header
    if (!small) return std::unexpected(small.error());
    return Checked{std::move(*small), false};
  }
  Bytes& b = *body;
  if (std::memcmp(head.data(), kMagic, 4) != 0 || b.size() < crypto::kAeadTagBytes) {
    // Legacy plaintext, written before encryption was turned on.
    b.insert(b.begin(), head.begin(), head.end());
    return Checked{std::move(b), false};
  }
  const uint32_t id = HeaderKeyId(head.data());
  auto dk = keys_.Find(id);
  if (!dk) {
    return Fail(ErrorCode::kInternal,
                "cannot decrypt blob " + std::string(key) + ": " + dk.error().message);
  }
  crypto::AeadTag tag;
  const size_t n = b.size() - tag.size();
  std::memcpy(tag.data(), b.data() + n, tag.size());
  const std::span<std::byte> text = std::span(b).first(n);
  if (!(*dk)->aead->Open(AssociatedData(key), HeaderNonce(head.data()), text, tag, text)) {
    return Fail(ErrorCode::kInternal, "cannot decrypt blob " + std::string(key) + " (data key " +
                                          std::to_string(id) +
                                          "): it was moved from another key, or altered");
  }
  b.resize(n);
  // The tag is checked over the ciphertext and the blob's key: these are
  // the bytes a Put under this key sealed.
  return Checked{std::move(b), true};
}

}  // namespace cf::store
