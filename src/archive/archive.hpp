// SPDX-License-Identifier: Apache-2.0
// The archive's use cases: ingest a received object durably, query the
// index, read back exact bytes, and check consistency (fsck). Protocol front
// ends (DIMSE, HTTP, CLI import) call only this. Thread-safe; every call
// blocks (parsing, disk, database), so call it from a blocking pool.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.hpp"
#include "codec/stored_form.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "crypto/key_store.hpp"
#include "crypto/sha256.hpp"
#include "dicom/instance.hpp"
#include "store/blob_store.hpp"

namespace cf::archive {

struct ArchiveOptions {
  // Objects larger than this are refused (kTooLarge).
  uint64_t max_object_size = 2ull << 30;
  // Accept raw datasets without file meta (with a warning).
  bool accept_raw_dataset = true;
  // With a journal folder, an ingest is durable once its journal record is
  // (one fdatasync, shared by concurrent ingests), and the blob store and
  // catalog may be configured not to sync each write: a checkpoint every
  // `checkpoint_interval` flushes them and drops the journal. Without one,
  // the blob store and the catalog must sync every write themselves.
  std::filesystem::path journal_dir;
  std::chrono::milliseconds checkpoint_interval{1000};
  // With a journal: how many bytes of objects not yet filed the
  // materializer keeps in memory; beyond that they are read back from the
  // journal when filed.
  uint64_t materializer_memory_budget = 128ull << 20;
  // With a journal: while objects keep arriving, filing their blobs waits
  // until a pause, as long as less than this many bytes wait
  // (Materializer::Deferral). 0 files each object as soon as it can: what
  // an import wants, which waits for its blobs before it ends anyway.
  uint64_t filing_backlog = 0;
  // Encryption at rest of the journal: with `keys`, sealed journal segments
  // of earlier runs can be replayed; with `encrypt_journal` too, new records
  // are sealed with their tenant's data key. Borrowed; must outlive
  // the archive.
  crypto::KeyStore* keys = nullptr;
  bool encrypt_journal = false;
  // Store objects in their lossless stored form (see codec/stored_form.hpp).
  bool compression = true;
  // With a journal: the materializer makes the stored form right after the
  // acknowledgement (a server); otherwise blobs are filed as received and
  // left to the compactor (an import, which should end promptly). Without
  // a journal: the stored form is made before the acknowledgement.
  bool compress_after_ack = true;
  // With a journal and compress_after_ack: objects stay as received for
  // this long after they arrive, then the compactor gives them their stored
  // form. Recent exams are the ones viewers, patients and printers read,
  // and reading them then costs no decoding; 0 compresses right after the
  // acknowledgement.
  std::chrono::seconds compress_after{0};
  // With a journal: a low-priority thread compresses blobs filed as
  // received (import, crash recovery, shutdown, compress_after) when the
  // archive is idle.
  bool compaction = false;
  std::chrono::seconds compaction_idle{30};  // pause after a pass found nothing
  codec::StoredFormOptions stored_form;
  // Hash again the bytes whose SHA-256 an Ingest caller supplied and refuse
  // the object (kInternal) when the digests differ. For tests; always on in
  // builds without NDEBUG.
  bool verify_supplied_sha256 = false;
};

struct CompactReport {
  int64_t examined = 0;
  int64_t compressed = 0;
  int64_t kept_as_received = 0;  // no stored form fits (or no gain)
  int64_t skipped = 0;           // unreadable or damaged: left to fsck
  uint64_t bytes_saved = 0;
};

// How objects were filed since the process started.
struct StorageStats {
  int64_t compressed = 0;
  int64_t as_received = 0;
  int64_t verify_failures = 0;  // a stored form did not rebuild exactly: kept as received
  std::map<std::string, int64_t> as_received_by_reason;
  int64_t backlog = 0;  // acknowledged, blob not yet written
  // Filed from the journal record, not a copy in memory: the materializer's
  // memory budget was full (a burst).
  int64_t read_back = 0;
};

struct IngestSource {
  std::string channel;  // "dimse", "http", "import"
  std::string peer;     // calling AE title, client address or file path kind; no patient data
  // The hospital the object is filed under: its UIDs and patient identity
  // are that tenant's, and its blob is sealed with that tenant's data key.
  // Required (an empty tenant is refused with kInternal).
  std::string tenant = {};
};

struct IngestReceipt {
  catalog::IndexOutcome outcome = catalog::IndexOutcome::kStored;
  int version = 1;
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string sha256_hex;
  uint64_t size = 0;
  std::vector<std::string> warnings;
};

struct FsckReport {
  int64_t instances_checked = 0;
  int64_t blobs_checked = 0;
  int64_t missing_blobs = 0;          // catalog entry without its blob
  int64_t hash_mismatches = 0;        // blob present but bytes differ from the recorded SHA-256
  int64_t orphan_blobs = 0;           // blob without a catalog entry
  int64_t orphans_reindexed = 0;      // with repair: orphan blobs indexed again
  int64_t orphans_removed = 0;        // with repair: orphans that are not valid DICOM, removed
  int64_t temp_files_removed = 0;     // with repair: half-written files left by a crash
  std::vector<std::string> problems;  // one line each, keys and internal ids only
  bool Clean() const {
    return missing_blobs == 0 && hash_mismatches == 0 &&
           orphan_blobs == orphans_reindexed + orphans_removed;
  }
};

// A fresh blob key for an object of `tenant`: "<tenant>/<YYYYMMDD>/<HH>/
// <128 random bits>.dcm" (docs/storage-format.md).
std::string NewBlobKey(std::string_view tenant);

class IngestJournal;
class Materializer;

class Archive {
 public:
  // Borrows `catalog` and `blobs`, which must outlive the archive. With a
  // journal folder in `options`, first replays what crashed processes left
  // in it (see Recover) and then checkpoints in the background.
  static Result<std::unique_ptr<Archive>> Open(catalog::Catalog& catalog, store::BlobStore& blobs,
                                               ArchiveOptions options);

  // Without a journal; REQUIRES: options.journal_dir is empty.
  Archive(catalog::Catalog& catalog, store::BlobStore& blobs, ArchiveOptions options);
  ~Archive();  // a last checkpoint, then the background thread stops
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // Parses and validates `bytes`, then makes them durable (journal record
  // synced, or without a journal blob written and fsynced) and commits the
  // catalog entry. Only then does it return success; with a journal the
  // blob file is written afterwards, in the background (see Materializer). The same
  // bytes again are an idempotent success (kAlreadyPresent); different bytes
  // under a known SOP Instance UID are kept as a new version (kNewVersion).
  // Errors: kInvalidDicom, kTooLarge, kConflict (hierarchy),
  // kStorageUnavailable (disk full or failing). With `required_study_uid`
  // (a STOW-RS request to /studies/{study}), an object of any other study
  // is refused with kConflict before anything is stored. `sha256`, when
  // given, is the SHA-256 of `bytes`, computed by the caller as the bytes
  // arrived (DIMSE hashes each PDV), so that the object is not hashed again
  // here while its sender waits; see verify_supplied_sha256.
  Result<IngestReceipt> Ingest(ByteView bytes, const IngestSource& source,
                               std::string_view required_study_uid = {},
                               const std::optional<crypto::Sha256Digest>& sha256 = std::nullopt);

  // The node's totals, or (Scope::Of) one hospital's.
  Result<catalog::Totals> Totals(const catalog::Scope& scope = catalog::Scope::All());
  Result<std::vector<catalog::ModalityUsage>> UsageByModality(
      const catalog::Scope& scope = catalog::Scope::All());
  Result<catalog::Page<catalog::PatientRecord>> FindPatients(const catalog::PatientQuery& q);
  Result<catalog::Page<catalog::StudyRecord>> FindStudies(const catalog::StudyQuery& q);
  // Reads name the scope they see (catalog/scope.hpp).
  Result<catalog::StudyRecord> GetStudy(const catalog::Scope& scope, std::string_view study_uid);
  Result<catalog::Page<catalog::QueryMatch>> Search(const catalog::Query& query);
  Result<std::vector<catalog::SeriesRecord>> ListSeries(const catalog::Scope& scope,
                                                        std::string_view study_uid);
  // catalog::Catalog::FirstInstances.
  Result<std::vector<std::optional<catalog::InstanceRecord>>> FirstInstances(
      catalog::QueryLevel level, std::span<const catalog::TenantUid> parents);
  Result<std::vector<catalog::InstanceRecord>> ListInstances(const catalog::Scope& scope,
                                                             std::string_view series_uid);
  Result<std::vector<catalog::InstanceRecord>> GetInstanceVersions(const catalog::Scope& scope,
                                                                   std::string_view sop_uid);

  // One version of an instance (default: the first, version 1); kNotFound
  // for an unknown UID or version.
  Result<catalog::InstanceRecord> GetInstanceVersion(const catalog::Scope& scope,
                                                     std::string_view sop_uid,
                                                     std::optional<int> version = std::nullopt);

  // The exact received bytes of `record`, checked before they are
  // returned: against its recorded SHA-256, or, for a sealed blob of the
  // received bytes, by its AEAD tag (and its size); missing or altered
  // bytes fail with kInternal and are logged.
  Result<Bytes> ReadBlob(const catalog::InstanceRecord& record);
  // The same, reading into `buffer` (the bytes of an earlier read, given
  // back) where it can: a retrieve of many objects then allocates no fresh
  // memory per object.
  Result<Bytes> ReadBlob(const catalog::InstanceRecord& record, Bytes buffer);

  // The received bytes for readers of everything but the pixels
  // (metadata): from a stored form, the Pixel Data value reads as zeros and
  // no frame is decoded. Objects as received are checked as by ReadBlob.
  Result<Bytes> ReadBlobWithoutPixels(const catalog::InstanceRecord& record);
  // The bytes metadata is made from (DICOM JSON, QIDO's extra attributes):
  // the header kept in the catalog at ingest, whose Pixel Data value is
  // left out, or else ReadBlobWithoutPixels, whose header is then kept.
  // Either gives the same JSON.
  Result<Bytes> ReadMetadataBytes(const catalog::InstanceRecord& record);
  // The same for each of `records`, in order: one catalog query for the
  // kept headers, then the blob of any record that has none.
  std::vector<Result<Bytes>> ReadMetadataBytes(std::span<const catalog::InstanceRecord> records);

  // The blob of `record` as it is stored, for readers that can use a stored
  // form's compressed frames as they are (WADO-RS frames in HTJ2K): a stored
  // form (codec::IsStoredForm) is returned without rebuilding the received
  // bytes, checked only in that it records the record's SHA-256 (its frames
  // were verified when it was written; `cloudfilm fsck` checks them again).
  // Objects as received, or not yet filed, are read and checked as by
  // ReadBlob.
  Result<Bytes> ReadStored(const catalog::InstanceRecord& record);

  // A hint that `record` will be read soon (the next parts of a retrieve):
  // its blob is read from disk in the background. Never fails.
  void Prefetch(const catalog::InstanceRecord& record) { blobs_.Prefetch(record.blob_key); }

  // ReadBlob, then in `transfer_syntax` (codec::Transcode): the received
  // bytes when they already are in it. kUnsupported when it cannot, or
  // without `allow_lossy` may not, be produced; kInternal when the stored
  // object's pixels cannot be decoded (the message says why).
  Result<Bytes> ReadBlobAs(const catalog::InstanceRecord& record, std::string_view transfer_syntax,
                           bool allow_lossy = false);

  // GetInstanceVersion, then ReadBlob.
  Result<Bytes> ReadInstance(const catalog::Scope& scope, std::string_view sop_uid,
                             std::optional<int> version = std::nullopt);

  // Checks every catalog entry against its blob and every blob against the
  // catalog. With `repair`, re-indexes orphan blobs that are valid DICOM,
  // removes those that are not and removes crash leftovers.
  Result<FsckReport> Fsck(bool repair);

  const ArchiveOptions& Options() const { return options_; }

  // Called after each object Ingest stored (a new object or a new version,
  // never one already present), on the ingesting thread, with the receipt,
  // the received bytes and the tenant: how reports that arrive as DICOM
  // (SR, Encapsulated PDF) reach the report store without the archive
  // knowing reports. Must not throw. Set before the first ingest.
  using StoredHook =
      std::function<void(const IngestReceipt&, ByteView bytes, std::string_view tenant)>;
  void OnStored(StoredHook hook) { on_stored_ = std::move(hook); }

  StorageStats Storage() const;

  // Flushes blobs and catalog and drops the journal segments they cover.
  // Runs in the background; callable directly (tests, shutdown).
  Result<void> Checkpoint();

  // Gives the next (at most `limit`) blobs filed as received their stored
  // form: a new blob, synced, then the catalog switched, then the old blob
  // removed, so that a crash at any point leaves a readable object. Blobs
  // that gain nothing are marked so and not tried again.
  // Only objects received `min_age` ago or earlier are taken.
  Result<CompactReport> CompactOnce(int limit,
                                    std::chrono::seconds min_age = std::chrono::seconds(0));

  // Replays journal segments of processes that are gone: every record's blob
  // is rewritten if missing or damaged and indexed if the catalog lacks it.
  // Returns the number of records replayed. Called by Open.
  Result<int64_t> Recover();

 private:
  void CheckpointLoop();
  void CompactLoop();
  // Sets flush_failed_, and logs it the first time.
  void FlushFailed(const Error& error);
  // ReadBlobWithoutPixels for an instance without a kept header; its header
  // is kept for the next read.
  Result<Bytes> ReadKeepingHeader(const catalog::InstanceRecord& record);
  Result<Bytes> ReadBlobOnce(const catalog::InstanceRecord& record, Bytes buffer = {});
  // The received bytes of a filed blob; `proven` when they need no SHA-256
  // (a sealed blob of the received bytes that matches the record).
  Result<Bytes> LoadForRead(const catalog::InstanceRecord& record, bool& proven, Bytes buffer);
  struct Filed {
    uint64_t stored_size = 0;
    catalog::StoredForm form = catalog::StoredForm::kUnexamined;
  };
  // Writes one object's blob (its stored form when `compress`) and returns
  // the bytes it takes.
  Result<Filed> FileBlob(const std::string& key, ByteView received, bool compress,
                         const crypto::Sha256Digest* received_sha256 = nullptr,
                         store::WriteHint hint = store::WriteHint::kReadLater);
  // A blob's received bytes: rebuilt from its stored form, or as they are.
  // kNotFound when the blob is missing; the caller checks the SHA-256.
  Result<Bytes> LoadBlob(const std::string& key);
  // `blob` rebuilt when it is a stored form, else as it is.
  Result<Bytes> RebuildIfStored(const std::string& key, Bytes blob, bool authenticated);
  // Indexes a blob whose bytes are already in the store (fsck, recovery);
  // removes the blob when it cannot be indexed or duplicates another.
  Result<bool> IndexStoredBlob(const std::string& key, ByteView bytes, const char* source);

  catalog::Catalog& catalog_;
  store::BlobStore& blobs_;
  ArchiveOptions options_;
  StoredHook on_stored_;

  std::unique_ptr<IngestJournal> journal_;
  std::unique_ptr<Materializer> materializer_;  // with the journal only
  // Ingests hold it shared from their journal append until their catalog
  // commit; a checkpoint takes it exclusively to seal the journal, so every
  // record of a sealed segment is committed before the flush that frees it.
  std::shared_mutex checkpoint_mutex_;
  // Set once a checkpoint's flush failed: the next flush may succeed
  // without having written what the failed one lost (Linux reports a
  // writeback error once), so no segment is removed again by this
  // process; the next start replays them all.
  std::atomic<bool> flush_failed_ = false;
  std::mutex loop_mutex_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // guarded by loop_mutex_
  std::thread checkpointer_;
  std::thread compactor_;
  std::mutex compact_mutex_;      // one CompactOnce at a time
  int64_t compact_after_pk_ = 0;  // its position; guarded by compact_mutex_
  mutable std::mutex stats_mutex_;
  StorageStats storage_stats_;  // guarded by stats_mutex_
};

}  // namespace cf::archive
