// SPDX-License-Identifier: Apache-2.0
// The ingest journal: what makes an acknowledged object durable with one
// fdatasync of a preallocated, append-only file instead of one fsync per
// blob file and folder (about 0.3 ms against 4 ms on the reference disk).
//
// Each process appends records {blob key, bytes} to its own segment file in
// the journal folder and holds an flock on it. Concurrent appends share one
// fdatasync (group commit); a record is acknowledged only once every record
// ahead of it in the segment is written too. A checkpoint seals the segment; once the blobs
// and the catalog are flushed (syncfs), sealed segments are deleted. After a
// crash, the segments of processes that are gone are replayed: every record
// in them was acknowledged or was about to be, and the records' checksums
// find the torn tail of a segment cut by a power loss.
//
// Record format (little endian): "CFJR" u32 magic, u32 key length, u64 data
// length, 32-byte SHA-256 of (key, SHA-256 of data), key, data, zero padding
// to the next multiple of 4096 (records are written with O_DIRECT, which
// needs aligned offsets; see core/direct_write.hpp). The data's
// own digest comes from the caller, who computed it already: hashing every
// object twice was a tenth of the ingest CPU. A segment starts with
// the 8-byte magic "CFJRNL06" and its 16-byte salt, and its first record is
// at offset 4096; the digest is then of (salt, key, SHA-256 of data).
// Version 02 segments (magic "CFJRNL02", no salt, the digest without it)
// and 01 (records packed without padding, the first at offset 8) are still
// replayed.
//
// Segments are reused: once checkpointed, up to two per process are renamed
// spare-<pid>-<n>.log (replay ignores them) and a new segment takes one
// with a fresh salt, written and synced before the file is renamed back to
// seg-<pid>-<n>.log. Blocks written once need no extent conversion when
// written again with O_DIRECT, which halves the device time of a record's
// fdatasync on ext4; the salt keeps the records of the file's earlier use,
// past the new ones, from reading as records of this segment. A new file
// (the first segments of a process) is preallocated with posix_fallocate.
//
// With a key store (encryption at rest), segments start with "CFJRNL05" and
// its salt and hold sealed records: "CFJE" u32 magic, u32 key length, u64 data length,
// u32 data key id, 12-byte nonce, 16-byte GCM tag, u32 header check (the
// first 4 bytes of SHA-256 of the 48 bytes before it, the record's u64
// offset in its segment, the segment's salt and the key), key, ciphertext,
// zero padding. Version 04 segments ("CFJRNL04") hold the same records
// without the salt (in the header check too), and are still replayed. The
// associated data is the blob store's for the blob key
// (store::EncryptingBlobStore::AssociatedData), so key id, nonce,
// ciphertext and tag are the sealed blob that EncryptingBlobStore::Put
// would write: the materializer files that (Append with a blob buffer,
// ReadSealedBlob, BlobStore::PutSealed) instead of sealing the object a
// second time. The tag binds a record to its blob key (a record moved to
// another key does not open); the header check, which is not keyed, ties
// it to its place against accidents (a stale or misplaced copy ends the
// replay there; docs/security.md says why no more is needed). No digest of the
// plaintext is stored. A record whose header checks but whose tag does not
// is a torn tail; one whose data key is gone stops the replay with an
// error (the segment is kept). Version 03 segments, left by an older
// version, are still replayed: the same records, with a header check that
// leaves out the offset and the associated data "cloudfilm-journal-v3\0",
// u64 record offset, blob key.
#pragma once

#include <array>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/aead.hpp"

namespace cf::crypto {
class KeyStore;
struct DataKey;
}  // namespace cf::crypto

namespace cf::archive {

class IngestJournal {
 public:
  struct Options {
    std::filesystem::path dir;
    uint64_t segment_bytes = 64ull << 20;  // preallocated per segment
    // When set, records are sealed with the active data key of their blob
    // key's tenant (store::TenantOfBlobKey; format v4). Borrowed; must
    // outlive the journal.
    crypto::KeyStore* keys = nullptr;
  };

  struct Segment;  // opaque
  // Where Append put a record's data. Keeps its segment file open, so the
  // data stays readable after the segment is removed from the folder.
  struct RecordRef {
    std::shared_ptr<Segment> segment;
    uint64_t data_offset = 0;
    uint64_t size = 0;
    // Sealed records (v4): what opening the data, or making the sealed
    // blob, needs.
    std::shared_ptr<const crypto::DataKey> data_key;
    uint64_t record_offset = 0;
    std::string key;
    crypto::AeadNonce nonce{};
    crypto::AeadTag tag{};
    // Plaintext records: the data's SHA-256, checked by Read.
    std::array<uint8_t, 32> data_sha256{};
  };

  static Result<std::unique_ptr<IngestJournal>> Open(Options options);
  ~IngestJournal();
  IngestJournal(const IngestJournal&) = delete;
  IngestJournal& operator=(const IngestJournal&) = delete;

  // Appends one record and returns once it is durable. Thread-safe.
  // REQUIRES: `data_sha256` is the SHA-256 of `data`.
  // kStorageUnavailable when the disk is full or failing.
  Result<RecordRef> Append(std::string_view key, ByteView data,
                           const std::array<uint8_t, 32>& data_sha256);

  struct Appended {
    RecordRef ref;
    // With a `blob_buffer` and a key store: the record as a sealed blob
    // ("CFX1", key id, nonce, ciphertext, tag: store/encrypting_blob_store.hpp)
    // for blob `key`, which BlobStore::PutSealed files as it is. Empty
    // otherwise.
    Bytes sealed_blob;
  };
  // Append; with a `blob_buffer`, also handing back the sealed blob, copied
  // from the record's write buffer (one copy of the object, no second
  // encryption) into that buffer (one to reuse, its pages already backed:
  // Materializer::TakeCopyBuffer; or an empty one).
  Result<Appended> Append(std::string_view key, ByteView data,
                          const std::array<uint8_t, 32>& data_sha256,
                          std::optional<Bytes> blob_buffer);

  // Tests only, before the first Append: `hook` is called with a record's
  // key after its place in the segment is reserved and before its bytes
  // are written, so that a test can hold one writer back while others go on.
  void SetBeforeWriteHook(std::function<void(std::string_view key)> hook) {
    before_write_ = std::move(hook);
  }

  // Tests only, before the first Append: called instead of fdatasync(2)
  // for the group syncs and a seal's, so that a test can fail one as a
  // failing disk does. Returns 0 or an errno value.
  void SetSyncHook(std::function<int(int fd)> hook) { sync_hook_ = std::move(hook); }

  // Reads back the data of an appended record. Thread-safe.
  static Result<Bytes> Read(const RecordRef& ref);

  // Reads back a sealed record as the sealed blob Append with a blob buffer hands
  // back, without decrypting it (the blob's reader checks the tag).
  // kInvalidArgument for a record that is not sealed. Thread-safe.
  static Result<Bytes> ReadSealedBlob(const RecordRef& ref);

  // The received bytes of `sealed_blob`, the sealed blob of `ref` (from
  // Append with a blob buffer, or ReadSealedBlob), decrypted and checked in memory.
  // kInternal when they do not open. Thread-safe.
  static Result<Bytes> OpenSealedBlob(const RecordRef& ref, ByteView sealed_blob);

  // Seals the active segment (durable already) and returns the sealed
  // segments not yet removed; the next Append starts a new segment.
  // Thread-safe; waits for appends in progress.
  std::vector<std::filesystem::path> Seal();

  // Deletes sealed segments whose records are durable elsewhere.
  void Remove(const std::vector<std::filesystem::path>& segments);

  // True when something was appended since the last Seal.
  bool Dirty() const;

  // Calls `visit` for every intact record of segments left by processes
  // that no longer run (their flock is free), in append order, and returns
  // those segments so that the caller removes them once it has made the
  // records durable elsewhere. A torn tail ends a segment's replay.
  // Sealed (v3, v4) segments need `keys`; without them, or without a
  // record's data key, the replay fails and keeps the segment.
  static Result<std::vector<std::filesystem::path>> ReplayOrphans(
      const std::filesystem::path& dir,
      const std::function<Result<void>(std::string_view key, ByteView data)>& visit,
      crypto::KeyStore* keys = nullptr);

  // The data key ids of the sealed records in every segment of `dir`, of
  // running processes too: a key that a record not yet checkpointed needs
  // must not be retired. Reads record headers only (complete ones: a torn
  // tail ends a segment as at replay).
  static Result<std::set<uint32_t>> DataKeysInUse(const std::filesystem::path& dir);

 private:
  explicit IngestJournal(Options options);
  Result<void> StartSegmentLocked(uint64_t min_bytes);
  // fdatasync(2) of `fd`, or the test's hook: 0 or an errno value.
  int SyncSegment(int fd) const;
  void SealLocked(std::unique_lock<std::mutex>& lock);

  Options options_;
  std::function<void(std::string_view key)> before_write_;
  std::function<int(int fd)> sync_hook_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::shared_ptr<Segment> active_;               // guarded by mutex_
  std::vector<std::shared_ptr<Segment>> sealed_;  // guarded by mutex_
  // Checkpointed segments kept for reuse (Remove, StartSegmentLocked).
  std::vector<std::shared_ptr<Segment>> spares_;  // guarded by mutex_
  bool rotating_ = false;                         // guarded by mutex_
  bool syncing_ = false;                          // guarded by mutex_
  // Records are numbered as their place is reserved, in offset order. A
  // record may be acknowledged only once every record before it is written
  // too: a replay stops at the first slot that does not hold a record, so
  // a later record acknowledged over an earlier one still being written
  // would be lost if the process died in between.
  uint64_t reserved_ = 0;             // guarded by mutex_
  uint64_t written_ = 0;              // records 1..written_ all written; guarded by mutex_
  std::set<uint64_t> written_ahead_;  // guarded by mutex_
  uint64_t synced_ = 0;               // records 1..synced_ durable; guarded by mutex_
  uint64_t sequence_ = 0;             // guarded by mutex_
  bool dirty_ = false;                // guarded by mutex_
};

}  // namespace cf::archive
