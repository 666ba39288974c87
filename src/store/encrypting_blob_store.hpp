// SPDX-License-Identifier: Apache-2.0
// A BlobStore decorator that seals every blob with its tenant's active data
// key (AES-256-GCM, or SM4-CTR + HMAC-SM3 for a tenant of the national
// suite: crypto/suite.hpp) (crypto::KeyStore; the tenant is the key's first
// segment, see TenantOfBlobKey) before the inner store sees it, and
// opens it on the way back. The blob's key is the associated data, so a blob
// copied or renamed to another key fails to open.
//
// Sealed blob, little endian: "CFX1" | u32 data key id | 12-byte nonce |
// ciphertext (as long as the plaintext) | 16-byte tag. Blobs that do not start
// with "CFX1" are read as they are: plaintext written before encryption was
// turned on (re-encryption seals them: archive/reencryptor.hpp). Blobs open
// with whatever key and suite their header names. Size() and ForEach() report the inner store's
// sizes (what the blob takes on disk, 36 bytes more than the plaintext).
// The associated data is "cloudfilm-blob-v1\0" followed by the blob key
// (AssociatedData). The ingest journal seals its records with the same
// associated data, so that a record's ciphertext, nonce and tag make the
// blob as they are (PutSealed): an object is sealed once, not twice.
//
// Thread-safe when the inner store is. Owns the inner store, borrows `keys`,
// which must outlive it.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "crypto/key_store.hpp"
#include "store/blob_store.hpp"

namespace cf::store {

// "CFX1", u32 key id, nonce; then the ciphertext, then the tag.
inline constexpr size_t kSealedBlobHeader = 4 + 4 + crypto::kAeadNonceBytes;
inline constexpr size_t kSealedBlobOverhead = kSealedBlobHeader + crypto::kAeadTagBytes;

class EncryptingBlobStore final : public BlobStore {
 public:
  // With `encrypt_writes` off, Puts are stored in plaintext while sealed
  // blobs still open (a folder whose encryption was turned off).
  EncryptingBlobStore(std::unique_ptr<BlobStore> inner, crypto::KeyStore& keys,
                      bool encrypt_writes = true);

  using BlobStore::Put;
  using BlobStore::PutSealed;
  Result<void> Put(std::string_view key, ByteView data, WriteHint hint) override;
  // Writes `sealed` (a sealed blob: header, ciphertext, tag, sealed with
  // AssociatedData(key)) to the inner store as it is. kUnsupported, so that
  // the caller seals the plaintext with Put instead, when writes are not
  // sealed or `sealed` names another key than the active one of `key`'s
  // tenant (rotated since it was sealed: new blobs go under the new key);
  // kInvalidArgument when it is not a sealed blob or `key` is invalid. The
  // tag is not checked here (that would cost the decryption this saves):
  // GetChecked checks it on every read.
  Result<void> PutSealed(std::string_view key, ByteView sealed, WriteHint hint) override;
  // kInternal "cannot decrypt blob ..." when the blob was sealed under
  // another key (moved), altered, or its data key is gone (crypto-shredded).
  Result<Bytes> Get(std::string_view key) override;
  // As Get; `authenticated` for a sealed blob (its tag checked), never for
  // a plaintext one.
  Result<Checked> GetChecked(std::string_view key, Bytes buffer = {}) override;
  Result<uint64_t> Size(std::string_view key) override { return inner_->Size(key); }
  void Prefetch(std::string_view key) override { inner_->Prefetch(key); }
  Result<void> Remove(std::string_view key) override { return inner_->Remove(key); }
  Result<void> ForEach(
      const std::function<bool(std::string_view key, uint64_t size)>& visit) override {
    return inner_->ForEach(visit);
  }
  Result<void> Sync() override { return inner_->Sync(); }
  Result<uint64_t> AvailableBytes() override { return inner_->AvailableBytes(); }
  Result<int64_t> RemoveStaleTemporaries() override { return inner_->RemoveStaleTemporaries(); }

  // True when `blob` is sealed (starts with the magic).
  static bool IsSealed(ByteView blob);

  // What a blob under `key` is sealed with as associated data; other
  // writers of sealed blobs (the ingest journal) use it to make bytes
  // that PutSealed takes.
  static Bytes AssociatedData(std::string_view key);

  // A sealed blob's header: magic, data key id, nonce.
  static std::array<std::byte, kSealedBlobHeader> Header(uint32_t key_id,
                                                         const crypto::AeadNonce& nonce);

  // The plaintext of `sealed`, a whole sealed blob of `key` held in memory
  // (a blob made elsewhere for PutSealed), opened with `data_key`, the key
  // its header names. kInvalidArgument when it is not a sealed blob of that
  // key id; kInternal when it does not open (another blob key, altered).
  static Result<Bytes> OpenSealed(const crypto::DataKey& data_key, std::string_view key,
                                  ByteView sealed);

  // The id of the data key that sealed blob `key` (its header), or 0 for a
  // plaintext blob; kNotFound for an unknown key. Reads a few bytes only,
  // so that re-encryption and `cloudfilm keys retire` can survey every blob.
  Result<uint32_t> SealedKeyId(std::string_view key);

  // Whether new blobs are sealed.
  bool encrypts_writes() const { return encrypt_writes_; }
  crypto::KeyStore& keys() { return keys_; }

 private:
  std::unique_ptr<BlobStore> inner_;
  crypto::KeyStore& keys_;
  bool encrypt_writes_;
};

}  // namespace cf::store
