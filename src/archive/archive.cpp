// SPDX-License-Identifier: Apache-2.0
// Ingest, read-back, compaction and fsck. The order of the ingest steps is
// the durability argument: the object's bytes are durable (journal record,
// or without a journal the synced blob) before the catalog entry commits,
// and the caller hears "success" only after both. A crash between the two
// leaves a journal record or an orphan blob, which recovery or fsck
// re-indexes; it never leaves a catalog entry without its bytes.
#include "archive/archive.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>

#include "archive/ingest_journal.hpp"
#include "archive/materializer.hpp"
#include "codec/frame_access.hpp"
#include "codec/header_without_pixels.hpp"
#include "codec/stored_form.hpp"
#include "codec/transcode.hpp"
#include "core/log.hpp"
#include "core/tenant.hpp"
#include "core/time_text.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "dicom/file_meta_walk.hpp"
#include "store/encrypting_blob_store.hpp"

namespace cf::archive {
namespace {

#ifdef NDEBUG
constexpr bool kVerifySuppliedSha256 = false;
#else
constexpr bool kVerifySuppliedSha256 = true;
#endif

std::string_view OutcomeName(catalog::IndexOutcome o) {
  switch (o) {
    case catalog::IndexOutcome::kStored:
      return "stored";
    case catalog::IndexOutcome::kAlreadyPresent:
      return "already-present";
    case catalog::IndexOutcome::kNewVersion:
      return "new-version";
  }
  return "?";
}

// Whether the materializer gives objects their stored form as it files
// them (otherwise it files them as received, and the compactor may later).
bool CompressesWhenFiling(const ArchiveOptions& o) {
  return o.compression && o.compress_after_ack && o.compress_after == std::chrono::seconds(0);
}

}  // namespace

// Keys group blobs by tenant (whose data key seals them, see
// store::TenantOfBlobKey) and then by the hour they arrived, so that
// concurrent writes share a folder (and its fsync) and operators can back up,
// inspect or remove by hospital and date.
std::string NewBlobKey(std::string_view tenant) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y%m%d/%H", &tm);
  return std::string(tenant) + "/" + when + "/" + crypto::RandomHex(16) + ".dcm";
}

Archive::Archive(catalog::Catalog& catalog, store::BlobStore& blobs, ArchiveOptions options)
    : catalog_(catalog), blobs_(blobs), options_(std::move(options)) {}

Result<std::unique_ptr<Archive>> Archive::Open(catalog::Catalog& catalog, store::BlobStore& blobs,
                                               ArchiveOptions options) {
  const std::filesystem::path journal_dir = options.journal_dir;
  options.journal_dir.clear();
  auto archive = std::make_unique<Archive>(catalog, blobs, std::move(options));
  if (journal_dir.empty()) return archive;
  archive->options_.journal_dir = journal_dir;
  IngestJournal::Options journal_options{journal_dir};
  if (archive->options_.encrypt_journal) journal_options.keys = archive->options_.keys;
  auto journal = IngestJournal::Open(std::move(journal_options));
  if (!journal) return std::unexpected(journal.error());
  archive->journal_ = std::move(*journal);
  auto recovered = archive->Recover();
  if (!recovered) return std::unexpected(recovered.error());
  archive->materializer_ = std::make_unique<Materializer>(
      [a = archive.get()](const std::string& key, const Materializer::Object& object,
                          Materializer::Pace pace) -> Result<void> {
        const bool compress =
            pace != Materializer::Pace::kHurry && CompressesWhenFiling(a->options_);
        const auto hint = pace == Materializer::Pace::kKeepingUp ? store::WriteHint::kReadSoon
                                                                 : store::WriteHint::kReadLater;
        if (object.sealed && !compress) {
          // Filed as received: the journal's sealed record is the blob, as
          // the blob store would have sealed it. Nothing to encrypt again.
          auto put = a->blobs_.PutSealed(key, object.bytes, hint);
          // A blob already under this (random, fresh) key is an earlier
          // attempt of ours that failed after its rename.
          if (put || put.error().code == ErrorCode::kConflict) return {};
          if (put.error().code != ErrorCode::kUnsupported) return put;
          // The store seals otherwise (or not at all): file the plaintext.
        }
        Bytes opened;
        ByteView received = object.bytes;
        if (object.sealed) {
          auto plain = IngestJournal::OpenSealedBlob(object.ref, object.bytes);
          if (!plain) return std::unexpected(plain.error());
          opened = std::move(*plain);
          received = opened;
        }
        auto filed = a->FileBlob(key, received, compress, nullptr, hint);
        if (!filed) return std::unexpected(filed.error());
        if (filed->form != catalog::StoredForm::kUnexamined) {
          auto r = a->catalog_.UpdateBlob({key, "", filed->stored_size, filed->form});
          if (!r) {
            log::Warn("catalog.stored_form_not_recorded",
                      {{"blob", key}, {"error", r.error().message}});
          }
        }
        return {};
      },
      archive->options_.materializer_memory_budget,
      Materializer::Deferral{.max_bytes = archive->options_.filing_backlog});
  archive->checkpointer_ = std::thread([a = archive.get()] { a->CheckpointLoop(); });
  if (archive->options_.compaction && archive->options_.compression) {
    archive->compactor_ = std::thread([a = archive.get()] { a->CompactLoop(); });
  }
  return archive;
}

Archive::~Archive() {
  if (checkpointer_.joinable()) {
    // What a burst left waiting is filed now, the fastest way: a stop
    // should not wait for a pause or write through the page cache.
    materializer_->Hurry();
    {
      std::lock_guard lock(loop_mutex_);
      stopping_ = true;
    }
    loop_cv_.notify_all();
    checkpointer_.join();
    if (compactor_.joinable()) compactor_.join();
    // Blobs that cannot be written now (disk full) stay in the journal,
    // which the next start replays.
    const bool drained =
        materializer_->WaitFor(materializer_->Enqueued(), std::chrono::seconds(60));
    if (drained) {
      if (auto r = Checkpoint(); !r) {
        log::Error("journal.final_checkpoint_failed", {{"error", r.error().message}});
      }
    } else {
      log::Error("journal.final_checkpoint_skipped", {{"reason", "blob writes still failing"}});
    }
    materializer_.reset();
  }
}

void Archive::CheckpointLoop() {
  std::unique_lock lock(loop_mutex_);
  while (!stopping_) {
    loop_cv_.wait_for(lock, options_.checkpoint_interval, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    // After a failed flush the journal only grows (see flush_failed_),
    // which the log has said once.
    if (journal_->Dirty() && !flush_failed_) {
      if (auto r = Checkpoint(); !r) {
        // The journal keeps the records; the next round tries again.
        log::Error("journal.checkpoint_failed", {{"error", r.error().message}});
      }
    }
    lock.lock();
  }
}

Result<void> Archive::Checkpoint() {
  if (!journal_) return {};
  std::vector<std::filesystem::path> sealed;
  uint64_t enqueued = 0;
  {
    std::unique_lock exclusive(checkpoint_mutex_);
    sealed = journal_->Seal();
    if (materializer_) enqueued = materializer_->Enqueued();
  }
  if (sealed.empty()) return {};
  if (flush_failed_) {
    return Fail(ErrorCode::kStorageUnavailable,
                "an earlier flush of blobs or catalog failed: the journal keeps every segment "
                "for the next start to replay");
  }
  // The sealed segments may go only once the blob store holds their objects.
  if (materializer_ && !materializer_->WaitFor(enqueued, std::chrono::seconds(30))) {
    // A burst is still being compressed: the journal keeps the sealed
    // segments, and the next round retries.
    log::Info("journal.checkpoint_deferred", {{"reason", "blob filing behind"}});
    return {};
  }
  Result<void> flushed = blobs_.Sync();
  if (flushed) flushed = catalog_.Sync();
  if (!flushed) {
    FlushFailed(flushed.error());
    return flushed;
  }
  journal_->Remove(sealed);
  return {};
}

void Archive::FlushFailed(const Error& error) {
  if (flush_failed_.exchange(true)) return;  // said once
  log::Error("journal.checkpoints_stopped",
             {{"error", error.message},
              {"reason", "a flush failed: the journal is kept for the next start"}});
}

Result<Archive::Filed> Archive::FileBlob(const std::string& key, ByteView received, bool compress,
                                         const crypto::Sha256Digest* received_sha256,
                                         store::WriteHint hint) {
  codec::Encoded encoded;
  const bool trying = compress && options_.compression;
  if (trying) {
    encoded = codec::EncodeStoredForm(received, options_.stored_form, received_sha256);
    std::lock_guard lock(stats_mutex_);
    if (encoded.stored) {
      ++storage_stats_.compressed;
    } else {
      ++storage_stats_.as_received;
      ++storage_stats_.as_received_by_reason[encoded.reason];
      if (encoded.verify_failed) {
        ++storage_stats_.verify_failures;
        log::Error("codec.verify_failed", {{"blob", key}});
      }
    }
  }
  const ByteView data = encoded.stored ? ByteView(*encoded.stored) : received;
  auto put = blobs_.Put(key, data, hint);
  // A blob already under this (random, fresh) key is an earlier attempt of
  // ours that failed after its rename.
  if (!put && put.error().code != ErrorCode::kConflict) return std::unexpected(put.error());
  Filed filed;
  filed.stored_size = data.size();
  filed.form = encoded.stored ? catalog::StoredForm::kCompressed
               : trying       ? catalog::StoredForm::kAsReceived
                              : catalog::StoredForm::kUnexamined;
  return filed;
}

Result<CompactReport> Archive::CompactOnce(int limit, std::chrono::seconds min_age) {
  std::lock_guard serial(compact_mutex_);
  if (flush_failed_) {
    return Fail(ErrorCode::kStorageUnavailable,
                "an earlier flush of blobs or catalog failed: compaction waits for a restart");
  }
  CompactReport report;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t received_before_ms =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(min_age).count();
  auto batch = catalog_.FindUnexamined(compact_after_pk_, limit, received_before_ms);
  if (!batch) return std::unexpected(batch.error());
  if (batch->empty()) {
    compact_after_pk_ = 0;  // a full pass is done; later ones start over
    return report;
  }
  struct Made {
    std::string old_key;
    std::string new_key;
    uint64_t stored_size;
    uint64_t received_size;
  };
  std::vector<Made> made;
  std::vector<catalog::Catalog::BlobUpdate> kept;
  for (const auto& b : *batch) {
    compact_after_pk_ = b.pk;
    ++report.examined;
    auto bytes = LoadBlob(b.blob_key);
    const crypto::Sha256Digest digest = bytes ? crypto::Sha256(*bytes) : crypto::Sha256Digest{};
    if (!bytes || crypto::ToHex(digest) != b.sha256_hex) {
      // Missing or damaged: fsck's business, not ours; skip it this pass.
      ++report.skipped;
      continue;
    }
    codec::Encoded encoded = codec::EncodeStoredForm(*bytes, options_.stored_form, &digest);
    if (!encoded.stored) {
      kept.push_back({b.blob_key, "", bytes->size(), catalog::StoredForm::kAsReceived});
      continue;
    }
    // A new blob, never an overwrite: the old one stays valid until the
    // catalog points at the new one durably.
    const std::string new_key = NewBlobKey(store::TenantOfBlobKey(b.blob_key));
    if (auto put = blobs_.Put(new_key, *encoded.stored); !put) return std::unexpected(put.error());
    made.push_back({b.blob_key, new_key, encoded.stored->size(), bytes->size()});
  }
  if (!made.empty()) {
    if (auto r = blobs_.Sync(); !r) {
      // Nothing refers to the new blobs yet. What else the failed flush
      // cost is not known: the journal is kept from now on (Checkpoint).
      for (const auto& m : made) (void)blobs_.Remove(m.new_key);
      FlushFailed(r.error());
      return std::unexpected(r.error());
    }
  }
  std::vector<std::string> replaced;
  for (const auto& m : made) {
    auto r = catalog_.UpdateBlob(
        {m.old_key, m.new_key, m.stored_size, catalog::StoredForm::kCompressed});
    if (!r) {
      // The catalog still names the old blob (or another compactor switched
      // it first and removes it): ours is the one to go, never the old one.
      (void)blobs_.Remove(m.new_key);
      continue;
    }
    replaced.push_back(m.old_key);
    ++report.compressed;
    report.bytes_saved += m.received_size - m.stored_size;
  }
  for (const auto& k : kept) {
    if (catalog_.UpdateBlob(k)) ++report.kept_as_received;
  }
  if (auto r = catalog_.Sync(); !r) {
    // The old blobs stay: the catalog may still name them after a crash.
    FlushFailed(r.error());
    return std::unexpected(r.error());
  }
  for (const auto& key : replaced) (void)blobs_.Remove(key);
  {
    std::lock_guard lock(stats_mutex_);
    storage_stats_.compressed += report.compressed;
    storage_stats_.as_received += report.kept_as_received;
  }
  return report;
}

void Archive::CompactLoop() {
  // Older objects wait for idle time: a modality's C-STORE and the
  // materializer's recent objects come first.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  std::unique_lock lock(loop_mutex_);
  while (!stopping_) {
    const bool busy = materializer_ && materializer_->Backlog() > 0;
    CompactReport report;
    if (!busy && !flush_failed_) {  // after a failed flush, until a restart
      lock.unlock();
      auto r = CompactOnce(16, options_.compress_after);
      lock.lock();
      if (!r) {
        log::Warn("compact.failed", {{"error", r.error().message}});
      } else {
        report = *r;
      }
    }
    if (report.examined > 0 && !busy) continue;
    // Objects left for compress_after become due one by one: look again
    // when the first of them could be, at the latest after compaction_idle.
    auto idle = options_.compaction_idle;
    if (options_.compress_after > std::chrono::seconds(0)) {
      idle = std::min(idle, options_.compress_after);
    }
    loop_cv_.wait_for(lock, busy ? std::chrono::seconds(1) : idle, [&] { return stopping_; });
  }
}

Result<Bytes> Archive::LoadBlob(const std::string& key) {
  auto blob = blobs_.GetChecked(key);
  if (!blob) return std::unexpected(blob.error());
  return RebuildIfStored(key, std::move(blob->bytes), blob->authenticated);
}

Result<Bytes> Archive::RebuildIfStored(const std::string& key, Bytes blob, bool authenticated) {
  if (!codec::IsStoredForm(blob)) return blob;
  // Only a form whose AEAD tag opened reaches OpenJPH (stored_form.hpp):
  // one read in plaintext may be damaged on disk.
  auto rebuilt = codec::DecodeStoredForm(
      blob, authenticated ? codec::FormOrigin::kProven : codec::FormOrigin::kUnproven);
  if (rebuilt) return rebuilt;
  // A received file can look like a stored form; the caller's SHA-256 check
  // tells. A damaged stored form fails that check too.
  log::Warn("retrieve.not_a_stored_form", {{"blob", key}, {"error", rebuilt.error().message}});
  return blob;
}

StorageStats Archive::Storage() const {
  StorageStats stats;
  {
    std::lock_guard lock(stats_mutex_);
    stats = storage_stats_;
  }
  if (materializer_) {
    stats.backlog = materializer_->Backlog();
    stats.read_back = materializer_->ReadBack();
  }
  return stats;
}

Result<bool> Archive::IndexStoredBlob(const std::string& key, ByteView bytes, const char* source) {
  auto parsed =
      dicom::ParseInstance(bytes, {options_.max_object_size, options_.accept_raw_dataset});
  if (!parsed) {
    (void)blobs_.Remove(key);
    return false;
  }
  catalog::InstanceToIndex entry;
  entry.parsed = &*parsed;
  entry.tenant = std::string(store::TenantOfBlobKey(key));
  entry.sha256_hex = crypto::ToHex(crypto::Sha256(bytes));
  entry.size = bytes.size();
  entry.blob_key = key;
  entry.stored_size = bytes.size();
  entry.source = source;
  entry.received_at_ms = UnixNowMs();
  const std::optional<Bytes> header = codec::HeaderWithoutPixels(bytes);
  if (header) entry.header = *header;
  auto indexed = catalog_.Index(entry);
  if (!indexed) {
    if (indexed.error().code == ErrorCode::kConflict) {
      (void)blobs_.Remove(key);  // refused at ingest time too: never acknowledged
      return false;
    }
    return std::unexpected(indexed.error());
  }
  if (indexed->blob_key != key) {
    (void)blobs_.Remove(key);  // the same bytes are held by another blob
    return false;
  }
  return true;
}

Result<int64_t> Archive::Recover() {
  if (!journal_) return 0;
  int64_t records = 0, rewritten = 0, reindexed = 0;
  auto segments = IngestJournal::ReplayOrphans(
      options_.journal_dir,
      [&](std::string_view key_view, ByteView data) -> Result<void> {
        ++records;
        const std::string key(key_view);
        auto current = LoadBlob(key);
        const bool intact = current && current->size() == data.size() &&
                            std::equal(current->begin(), current->end(), data.begin());
        if (!intact) {
          // Also a blob that does not open (sealed, then cut by a power loss).
          if (current || current.error().code != ErrorCode::kNotFound) (void)blobs_.Remove(key);
          auto put = blobs_.Put(key, data);
          if (!put && put.error().code != ErrorCode::kConflict) return put;
          ++rewritten;
          // The catalog may already say it was compressed (committed before
          // the crash, blob lost): it holds the received bytes again now.
          (void)catalog_.UpdateBlob({key, "", data.size(), catalog::StoredForm::kUnexamined});
        }
        auto has = catalog_.HasBlob(key);
        if (!has) return std::unexpected(has.error());
        if (!*has) {
          auto indexed = IndexStoredBlob(key, data, "recovery");
          if (!indexed) return std::unexpected(indexed.error());
          if (*indexed) ++reindexed;
        }
        return {};
      },
      options_.keys);
  if (!segments) return std::unexpected(segments.error());
  if (segments->empty()) return 0;
  if (auto r = blobs_.Sync(); !r) return std::unexpected(r.error());
  if (auto r = catalog_.Sync(); !r) return std::unexpected(r.error());
  for (const auto& p : *segments) std::filesystem::remove(p);
  log::Info("journal.recovered", {{"segments", segments->size()},
                                  {"records", records},
                                  {"blobs_rewritten", rewritten},
                                  {"reindexed", reindexed}});
  return records;
}

Result<IngestReceipt> Archive::Ingest(ByteView bytes, const IngestSource& source,
                                      std::string_view required_study_uid,
                                      const std::optional<crypto::Sha256Digest>& sha256) {
  if (!IsValidTenantCode(source.tenant)) {
    return Fail(ErrorCode::kInternal, "ingest without a valid tenant");
  }
  dicom::ParseOptions parse_options;
  parse_options.max_object_size = options_.max_object_size;
  parse_options.accept_raw_dataset = options_.accept_raw_dataset;
  auto parsed = dicom::ParseInstance(bytes, parse_options);
  if (!parsed) {
    log::Warn("ingest.rejected", {{"channel", source.channel},
                                  {"code", std::string(ToString(parsed.error().code))},
                                  {"reason", parsed.error().message}});
    return std::unexpected(parsed.error());
  }
  if (!required_study_uid.empty() && parsed->study_instance_uid != required_study_uid) {
    log::Warn("ingest.rejected", {{"channel", source.channel},
                                  {"code", std::string(ToString(ErrorCode::kConflict))},
                                  {"reason", "not of the study the request names"}});
    return Fail(ErrorCode::kConflict, "the object belongs to another study than the request names");
  }
  IngestReceipt receipt;
  receipt.sop_class_uid = parsed->sop_class_uid;
  receipt.sop_instance_uid = parsed->sop_instance_uid;
  receipt.study_instance_uid = parsed->study_instance_uid;
  receipt.series_instance_uid = parsed->series_instance_uid;
  crypto::Sha256Digest digest;
  if (!sha256) {
    digest = crypto::Sha256(bytes);
  } else if (kVerifySuppliedSha256 || options_.verify_supplied_sha256) {
    digest = crypto::Sha256(bytes);
    if (digest != *sha256) {
      log::Error("ingest.digest_mismatch", {{"channel", source.channel}});
      return Fail(ErrorCode::kInternal,
                  "the digest computed while receiving differs from the bytes");
    }
  } else {
    digest = *sha256;
  }
  receipt.sha256_hex = crypto::ToHex(digest);
  receipt.size = bytes.size();
  receipt.warnings = parsed->warnings;

  auto pre = catalog_.Precheck(*parsed, receipt.sha256_hex, source.tenant);
  if (!pre) return std::unexpected(pre.error());
  if (*pre) {
    receipt.outcome = (*pre)->outcome;
    receipt.version = (*pre)->version;
    return receipt;
  }

  const std::string key = NewBlobKey(source.tenant);
  std::shared_lock<std::shared_mutex> checkpoint_guard;
  std::optional<IngestJournal::Appended> journaled;
  bool files_sealed_record = false;
  uint64_t stored_size = bytes.size();
  catalog::StoredForm stored_form = catalog::StoredForm::kUnexamined;
  if (journal_) {
    // Durable with the journal record; the blob follows in the background.
    // Held until the catalog commit and the hand-over to the materializer,
    // so that a checkpoint sees either all of this ingest or none of it.
    checkpoint_guard = std::shared_lock(checkpoint_mutex_);
    auto available = blobs_.AvailableBytes();
    if (!available) return std::unexpected(available.error());
    if (!materializer_->Reserve(bytes.size(), *available)) {
      log::Warn("ingest.refused", {{"channel", source.channel}, {"reason", "storage full"}});
      return Fail(ErrorCode::kStorageUnavailable, "storage full");
    }
    // A sealed record is the blob to be filed as it is (sealed once), when
    // the materializer files objects as received; kept in memory while
    // there is room.
    files_sealed_record =
        options_.encrypt_journal && options_.keys != nullptr && !CompressesWhenFiling(options_);
    std::optional<Bytes> copy_buffer;
    if (files_sealed_record) {
      copy_buffer = materializer_->TakeCopyBuffer(store::kSealedBlobOverhead + bytes.size());
    }
    auto appended = journal_->Append(key, bytes, digest, std::move(copy_buffer));
    if (!appended) {
      materializer_->Release(bytes.size());
      log::Error("ingest.journal_write_failed",
                 {{"channel", source.channel}, {"error", appended.error().message}});
      return std::unexpected(appended.error());
    }
    journaled = std::move(*appended);
  } else if (auto put = FileBlob(key, bytes, options_.compress_after_ack, &digest); !put) {
    log::Error("ingest.blob_write_failed",
               {{"channel", source.channel}, {"error", put.error().message}});
    return std::unexpected(put.error());
  } else {
    // Without a journal the stored form precedes the acknowledgement.
    stored_size = put->stored_size;
    stored_form = put->form;
  }
  catalog::InstanceToIndex entry;
  entry.parsed = &*parsed;
  entry.tenant = source.tenant;
  entry.sha256_hex = receipt.sha256_hex;
  entry.size = bytes.size();
  entry.blob_key = key;
  entry.stored_size = stored_size;
  entry.stored_form = stored_form;
  entry.source = source.peer.empty() ? source.channel : source.channel + ":" + source.peer;
  entry.received_at_ms = UnixNowMs();
  const std::optional<Bytes> header = codec::HeaderWithoutPixels(bytes);
  if (header) entry.header = *header;
  auto indexed = catalog_.Index(entry);
  const bool ours = indexed && indexed->blob_key == key;
  if (journaled) {
    // Refused, or a concurrent ingest of the same bytes won: nothing refers
    // to the record, and a replay after a crash decides the same way.
    if (ours) {
      // A plaintext copy of an object whose record is its blob would only
      // be sealed again: without its sealed blob, the record is read back.
      materializer_->Enqueue(key, std::move(journaled->ref),
                             files_sealed_record ? ByteView{} : bytes,
                             std::move(journaled->sealed_blob));
    } else {
      materializer_->Release(bytes.size());
    }
  } else if (!ours) {
    // Failing to remove it only leaves an orphan for fsck.
    (void)blobs_.Remove(key);
  }
  if (!indexed) {
    log::Warn("ingest.index_failed",
              {{"channel", source.channel}, {"error", indexed.error().message}});
    return std::unexpected(indexed.error());
  }
  receipt.outcome = indexed->outcome;
  receipt.version = indexed->version;
  if (on_stored_ && receipt.outcome != catalog::IndexOutcome::kAlreadyPresent) {
    if (checkpoint_guard.owns_lock()) checkpoint_guard.unlock();  // the object is committed
    on_stored_(receipt, bytes, source.tenant);
  }
  log::Debug("ingest.done", {{"channel", source.channel},
                             {"outcome", std::string(OutcomeName(receipt.outcome))},
                             {"version", receipt.version},
                             {"bytes", receipt.size}});
  return receipt;
}

Result<catalog::Totals> Archive::Totals(const catalog::Scope& scope) {
  return scope.all() ? catalog_.GetTotals() : catalog_.GetTenantTotals(scope.tenant());
}

Result<std::vector<catalog::ModalityUsage>> Archive::UsageByModality(const catalog::Scope& scope) {
  return catalog_.UsageByModality(scope);
}

Result<catalog::Page<catalog::PatientRecord>> Archive::FindPatients(
    const catalog::PatientQuery& q) {
  return catalog_.FindPatients(q);
}

Result<catalog::Page<catalog::StudyRecord>> Archive::FindStudies(const catalog::StudyQuery& q) {
  return catalog_.FindStudies(q);
}

Result<catalog::StudyRecord> Archive::GetStudy(const catalog::Scope& scope,
                                               std::string_view study_uid) {
  return catalog_.GetStudy(scope, study_uid);
}

Result<catalog::Page<catalog::QueryMatch>> Archive::Search(const catalog::Query& query) {
  return catalog_.Search(query);
}

Result<std::vector<catalog::SeriesRecord>> Archive::ListSeries(const catalog::Scope& scope,
                                                               std::string_view study_uid) {
  return catalog_.ListSeries(scope, study_uid);
}

Result<std::vector<std::optional<catalog::InstanceRecord>>> Archive::FirstInstances(
    catalog::QueryLevel level, std::span<const catalog::TenantUid> parents) {
  return catalog_.FirstInstances(level, parents);
}

Result<std::vector<catalog::InstanceRecord>> Archive::ListInstances(const catalog::Scope& scope,
                                                                    std::string_view series_uid) {
  return catalog_.ListInstances(scope, series_uid);
}

Result<std::vector<catalog::InstanceRecord>> Archive::GetInstanceVersions(
    const catalog::Scope& scope, std::string_view sop_uid) {
  return catalog_.GetInstanceVersions(scope, sop_uid);
}

Result<catalog::InstanceRecord> Archive::GetInstanceVersion(const catalog::Scope& scope,
                                                            std::string_view sop_uid,
                                                            std::optional<int> version) {
  auto versions = catalog_.GetInstanceVersions(scope, sop_uid);
  if (!versions) return std::unexpected(versions.error());
  const int wanted = version.value_or(1);
  for (auto& v : *versions) {
    if (v.version == wanted) return std::move(v);
  }
  return Fail(ErrorCode::kNotFound, "unknown version of the instance");
}

Result<Bytes> Archive::ReadBlob(const catalog::InstanceRecord& rec) { return ReadBlob(rec, {}); }

Result<Bytes> Archive::ReadBlob(const catalog::InstanceRecord& rec, Bytes buffer) {
  auto bytes = ReadBlobOnce(rec, std::move(buffer));
  if (bytes || bytes.error().code != ErrorCode::kInternal) return bytes;
  // The compactor may have moved the object to a new blob between our
  // catalog lookup and the read: look again once.
  auto again =
      GetInstanceVersion(catalog::Scope::Of(std::string(store::TenantOfBlobKey(rec.blob_key))),
                         rec.sop_instance_uid, rec.version);
  if (!again || again->blob_key == rec.blob_key) return bytes;
  return ReadBlobOnce(*again);
}

Result<Bytes> Archive::LoadForRead(const catalog::InstanceRecord& rec, bool& proven, Bytes buffer) {
  // A sealed blob of the received bytes needs no hashing: its AEAD tag,
  // checked when it opened, proves that these are the bytes sealed under
  // this key, and those were the bytes whose SHA-256 the catalog records
  // (docs/security.md, "What a read checks"). Its size and the SOP
  // Instance UID of its file meta are checked against the record, which
  // catches a catalog entry pointing at another object's blob; when
  // either differs (or there is no file meta), the SHA-256 decides.
  auto blob = blobs_.GetChecked(rec.blob_key, std::move(buffer));
  if (!blob) return std::unexpected(blob.error());
  proven = blob->authenticated && blob->bytes.size() == rec.size &&
           dicom::FileMetaText(blob->bytes, 0x0003) == rec.sop_instance_uid &&
           !codec::IsStoredForm(blob->bytes);
  if (proven) return std::move(blob->bytes);
  return RebuildIfStored(rec.blob_key, std::move(blob->bytes), blob->authenticated);
}

Result<Bytes> Archive::ReadBlobOnce(const catalog::InstanceRecord& rec, Bytes buffer) {
  std::optional<Result<Bytes>> pending;
  if (materializer_) pending = materializer_->ReadPending(rec.blob_key);
  bool proven = false;  // not yet filed: always hashed
  auto bytes = pending ? std::move(*pending) : LoadForRead(rec, proven, std::move(buffer));
  if (!bytes) {
    log::Error("retrieve.blob_unreadable",
               {{"blob", rec.blob_key}, {"error", bytes.error().message}});
    if (bytes.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kInternal, "stored bytes are missing (run fsck)");
    }
    return std::unexpected(bytes.error());
  }
  if (!proven && crypto::ToHex(crypto::Sha256(*bytes)) != rec.sha256_hex) {
    log::Error("retrieve.hash_mismatch", {{"blob", rec.blob_key}});
    return Fail(ErrorCode::kInternal,
                "stored bytes do not match their recorded SHA-256 (run fsck)");
  }
  return bytes;
}

Result<Bytes> Archive::ReadBlobWithoutPixels(const catalog::InstanceRecord& rec) {
  if (!materializer_ || !materializer_->IsPending(rec.blob_key)) {
    auto bytes = blobs_.Get(rec.blob_key);
    if (bytes && codec::IsStoredForm(*bytes)) {
      auto header = codec::DecodeStoredFormWithoutPixels(*bytes);
      if (header) return header;
    }
  }
  return ReadBlob(rec);  // pending, as received, or anything unusual
}

Result<Bytes> Archive::ReadMetadataBytes(const catalog::InstanceRecord& rec) {
  return std::move(ReadMetadataBytes(std::span(&rec, 1)).front());
}

std::vector<Result<Bytes>> Archive::ReadMetadataBytes(
    std::span<const catalog::InstanceRecord> records) {
  std::vector<std::string_view> keys;
  keys.reserve(records.size());
  for (const auto& rec : records) keys.push_back(rec.blob_key);
  auto headers = catalog_.InstanceHeaders(keys);
  std::vector<Result<Bytes>> out;
  out.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (!headers) {
      out.push_back(std::unexpected(headers.error()));
    } else if ((*headers)[i]) {
      out.emplace_back(std::move(*(*headers)[i]));
    } else {
      out.push_back(ReadKeepingHeader(records[i]));
    }
  }
  return out;
}

Result<Bytes> Archive::ReadKeepingHeader(const catalog::InstanceRecord& rec) {
  auto bytes = ReadBlobWithoutPixels(rec);
  if (!bytes) return bytes;
  // Kept for the next time (objects stored before schema 8): a stored
  // form's pixels read as zeros here, which the header leaves out anyway.
  // Failing to keep it costs only this read again.
  if (const auto kept = codec::HeaderWithoutPixels(*bytes)) {
    if (auto r = catalog_.KeepInstanceHeader(rec.blob_key, *kept); !r) {
      log::Warn("metadata.header_not_kept", {{"blob", rec.blob_key}, {"error", r.error().message}});
    }
  }
  return bytes;
}

Result<Bytes> Archive::ReadStored(const catalog::InstanceRecord& rec) {
  if (!materializer_ || !materializer_->IsPending(rec.blob_key)) {
    auto bytes = blobs_.Get(rec.blob_key);
    if (bytes && codec::IsStoredForm(*bytes)) {
      // Cheap, and it catches a catalog entry pointing at another object's
      // blob; the frames themselves would need a full decode to check.
      if (crypto::ToHex(codec::StoredFormReceivedSha256(*bytes)) == rec.sha256_hex) return bytes;
      log::Error("retrieve.hash_mismatch", {{"blob", rec.blob_key}});
      return Fail(ErrorCode::kInternal,
                  "stored form does not match its recorded SHA-256 (run fsck)");
    }
  }
  return ReadBlob(rec);  // pending, as received, missing (moved by the compactor)
}

Result<Bytes> Archive::ReadBlobAs(const catalog::InstanceRecord& rec,
                                  std::string_view transfer_syntax, bool allow_lossy) {
  auto bytes = ReadBlob(rec);
  if (!bytes || rec.transfer_syntax_uid == transfer_syntax) return bytes;
  auto out = codec::Transcode(*bytes, transfer_syntax, {.allow_lossy = allow_lossy});
  if (!out && out.error().code != ErrorCode::kUnsupported) {
    log::Warn("retrieve.transcode_failed", {{"blob", rec.blob_key},
                                            {"target", std::string(transfer_syntax)},
                                            {"error", out.error().message}});
    return Fail(ErrorCode::kInternal,
                "the stored object cannot be converted: " + out.error().message);
  }
  return out;
}

Result<Bytes> Archive::ReadInstance(const catalog::Scope& scope, std::string_view sop_uid,
                                    std::optional<int> version) {
  auto rec = GetInstanceVersion(scope, sop_uid, version);
  if (!rec) return std::unexpected(rec.error());
  return ReadBlob(*rec);
}

Result<FsckReport> Archive::Fsck(bool repair) {
  FsckReport report;
  // Objects still on their way to the blob store would look missing.
  if (materializer_ &&
      !materializer_->WaitFor(materializer_->Enqueued(), std::chrono::minutes(5))) {
    return Fail(ErrorCode::kStorageUnavailable, "blob writes are failing; see the log");
  }
  auto walk = catalog_.ForEachInstance([&](const catalog::InstanceRecord& rec) {
    ++report.instances_checked;
    auto bytes = LoadBlob(rec.blob_key);
    if (!bytes && bytes.error().code != ErrorCode::kNotFound) {
      ++report.hash_mismatches;
      report.problems.push_back("damaged blob " + rec.blob_key + " (" + bytes.error().message +
                                ")");
      return true;
    }
    if (!bytes) {
      ++report.missing_blobs;
      report.problems.push_back("missing blob " + rec.blob_key + " (" + bytes.error().message +
                                ")");
      return true;
    }
    if (crypto::ToHex(crypto::Sha256(*bytes)) != rec.sha256_hex) {
      ++report.hash_mismatches;
      report.problems.push_back("SHA-256 mismatch in blob " + rec.blob_key);
    }
    return true;
  });
  if (!walk) return std::unexpected(walk.error());

  std::vector<std::string> orphans;
  Error walk_error{ErrorCode::kInternal, ""};
  auto blobs_walk = blobs_.ForEach([&](std::string_view key, uint64_t) {
    ++report.blobs_checked;
    auto has = catalog_.HasBlob(key);
    if (!has) {
      walk_error = has.error();
      return false;
    }
    if (!*has) orphans.emplace_back(key);
    return true;
  });
  if (!blobs_walk) return std::unexpected(blobs_walk.error());
  if (!walk_error.message.empty()) return std::unexpected(walk_error);
  report.orphan_blobs = static_cast<int64_t>(orphans.size());

  for (const auto& key : orphans) {
    if (!repair) {
      report.problems.push_back("orphan blob " + key + " (no catalog entry)");
      continue;
    }
    auto bytes = LoadBlob(key);
    if (!bytes) {
      report.problems.push_back("orphan blob " + key + " unreadable: " + bytes.error().message);
      continue;
    }
    auto indexed = IndexStoredBlob(key, *bytes, "fsck");
    if (!indexed) {
      report.problems.push_back("orphan blob " + key +
                                " cannot be indexed: " + indexed.error().message);
      continue;
    }
    if (*indexed) {
      ++report.orphans_reindexed;
    } else {
      ++report.orphans_removed;  // not valid DICOM, refused, or a duplicate of another blob
    }
  }
  if (repair) {
    auto removed = blobs_.RemoveStaleTemporaries();
    if (!removed) return std::unexpected(removed.error());
    report.temp_files_removed = *removed;
  }
  log::Info("fsck.done", {{"instances", report.instances_checked},
                          {"blobs", report.blobs_checked},
                          {"missing", report.missing_blobs},
                          {"mismatches", report.hash_mismatches},
                          {"orphans", report.orphan_blobs},
                          {"reindexed", report.orphans_reindexed}});
  return report;
}

}  // namespace cf::archive
