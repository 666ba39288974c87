// SPDX-License-Identifier: Apache-2.0
// The index of everything stored: patients, studies, series and instance
// versions with the attributes queries need. Backends (SQLite now,
// PostgreSQL later) implement this interface; backends are chosen only in
// apps/cloudfilm. Implementations are thread-safe; calls block.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/query.hpp"
#include "catalog/records.hpp"
#include "catalog/scope.hpp"
#include "core/error.hpp"
#include "dicom/instance.hpp"

namespace cf::catalog {

enum class IndexOutcome {
  kStored,          // first time this SOP Instance UID is seen
  kAlreadyPresent,  // same SOP Instance UID with the same bytes: nothing written
  kNewVersion,      // same SOP Instance UID, different bytes: kept as a new version
};

struct IndexResult {
  IndexOutcome outcome = IndexOutcome::kStored;
  int version = 1;
  std::string blob_key;  // the blob that holds these bytes
};

// How a blob holds its object (docs/storage-format.md).
enum class StoredForm : int {
  kUnexamined = 0,  // as received; no stored form tried yet
  kAsReceived = 1,  // as received; a stored form was tried and not taken
  kCompressed = 2,  // the lossless stored form
};

struct InstanceToIndex {
  const dicom::ParsedInstance* parsed = nullptr;  // REQUIRES: not null
  std::string tenant;                             // REQUIRES: a tenant code
  std::string sha256_hex;
  uint64_t size = 0;
  std::string blob_key;
  uint64_t stored_size = 0;
  StoredForm stored_form = StoredForm::kUnexamined;
  std::string source;
  int64_t received_at_ms = 0;
  // The object without its Pixel Data value (codec::HeaderWithoutPixels),
  // kept for metadata; empty when there is none to keep.
  ByteView header;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // What Index() would answer for `tenant`, without writing: kAlreadyPresent
  // (with the existing blob key) or nullopt when the object is new or a new
  // version. Fails with kConflict when the object contradicts the tenant's
  // stored hierarchy (a series in another study, a study under another
  // patient). Other tenants' objects never conflict: UIDs are per tenant.
  virtual Result<std::optional<IndexResult>> Precheck(const dicom::ParsedInstance& parsed,
                                                      std::string_view sha256_hex,
                                                      std::string_view tenant) = 0;

  // Records an instance whose blob is already durable. On success the entry is
  // committed durably. Concurrent callers may share one transaction (group
  // commit). Same errors as Precheck.
  virtual Result<IndexResult> Index(const InstanceToIndex& instance) = 0;

  // Makes every committed entry durable, for backends configured not to
  // sync each commit (the archive's ingest journal covers those). As
  // store::BlobStore::Sync, once it failed it keeps failing.
  virtual Result<void> Sync() = 0;

  // Records what became of blob `blob_key`: its form and size, and, with
  // `new_blob_key`, that the object now lives in that blob (the compactor
  // writes a new blob rather than overwrite one). Adjusts the stored total.
  // kNotFound when no instance refers to `blob_key`.
  struct BlobUpdate {
    std::string blob_key;
    std::string new_blob_key;  // empty: the same blob
    uint64_t stored_size = 0;
    StoredForm form = StoredForm::kUnexamined;
  };
  virtual Result<void> UpdateBlob(const BlobUpdate& update) = 0;

  // Blobs whose stored form was never tried (stored as received at a
  // crash recovery, a shutdown, an import, or while recent), in catalog
  // order after `after_pk`, at most `limit`, of objects received at or
  // before `received_before_ms`.
  struct UnexaminedBlob {
    int64_t pk = 0;
    std::string blob_key;
    std::string sha256_hex;
    uint64_t size = 0;
  };
  virtual Result<std::vector<UnexaminedBlob>> FindUnexamined(
      int64_t after_pk, int limit,
      int64_t received_before_ms = std::numeric_limits<int64_t>::max()) = 0;

  // Every instance version's blob, in catalog order after `after_pk`, at
  // most `limit`: what re-encryption under a tenant's new data key walks
  // (a persisted pk lets it resume after a restart).
  struct StoredBlob {
    int64_t pk = 0;
    std::string blob_key;
    uint64_t stored_size = 0;
    StoredForm form = StoredForm::kUnexamined;
    std::string sha256_hex = {};  // of the received bytes
  };
  virtual Result<std::vector<StoredBlob>> ListBlobs(int64_t after_pk, int limit) = 0;

  virtual Result<Totals> GetTotals() = 0;
  // One hospital's (tenant code); zeros for one that stored nothing.
  virtual Result<Totals> GetTenantTotals(std::string_view tenant) = 0;
  // Received and stored bytes per series modality, largest first, in
  // `scope` (a hospital, or all). A scan of the instances: for reports,
  // not for every request.
  virtual Result<std::vector<ModalityUsage>> UsageByModality(const Scope& scope) = 0;
  virtual Result<Page<PatientRecord>> FindPatients(const PatientQuery& query) = 0;
  virtual Result<Page<StudyRecord>> FindStudies(const StudyQuery& query) = 0;
  // Lookups by UID within `scope` (its tenant, and its studies when
  // restricted: every read below honours Scope::restricted). Across every tenant (Scope::All) a UID
  // that two tenants both stored is ambiguous: kConflict, naming no tenant.
  virtual Result<StudyRecord> GetStudy(const Scope& scope, std::string_view study_uid) = 0;
  // Matches `query` (see query.hpp) within its scope, ordered: studies
  // newest first, series and instances by number. kInvalidArgument from
  // ValidateQuery.
  virtual Result<Page<QueryMatch>> Search(const Query& query) = 0;
  virtual Result<std::vector<SeriesRecord>> ListSeries(const Scope& scope,
                                                       std::string_view study_uid) = 0;
  // The first instance (its first version) of each study (`level` kStudy)
  // or series (kSeries) of `parents`, in their order: of the first series
  // by number, the first by instance number, those without a number last;
  // nullopt where none is stored. What QIDO-RS reads attributes outside the
  // index from: a few index seeks each, whatever the study's size.
  // kInvalidArgument for another level.
  virtual Result<std::vector<std::optional<InstanceRecord>>> FirstInstances(
      QueryLevel level, std::span<const TenantUid> parents) = 0;
  // Every version of every instance of the series, by instance number then version.
  virtual Result<std::vector<InstanceRecord>> ListInstances(const Scope& scope,
                                                            std::string_view series_uid) = 0;
  // Every version of one SOP Instance UID, oldest first; kNotFound if none.
  virtual Result<std::vector<InstanceRecord>> GetInstanceVersions(const Scope& scope,
                                                                  std::string_view sop_uid) = 0;
  // Visits every instance version (for fsck) until `visit` returns false.
  virtual Result<void> ForEachInstance(const std::function<bool(const InstanceRecord&)>& visit) = 0;
  // True when some instance version refers to `blob_key`.
  virtual Result<bool> HasBlob(std::string_view blob_key) = 0;
  // The header kept for the instance version stored in each of `blob_keys`
  // (InstanceToIndex::header, KeepInstanceHeader), in their order, in one
  // query (a series' metadata asks for hundreds at once); nullopt where none
  // was kept (indexed before schema 8 and not read since, or not walkable).
  virtual Result<std::vector<std::optional<Bytes>>> InstanceHeaders(
      std::span<const std::string_view> blob_keys) = 0;
  // InstanceHeaders of one key.
  Result<std::optional<Bytes>> InstanceHeader(std::string_view blob_key) {
    auto headers = InstanceHeaders(std::span(&blob_key, 1));
    if (!headers) return std::unexpected(headers.error());
    return std::move(headers->front());
  }
  // Keeps `header` for the instance version stored in `blob_key` unless it
  // has one already: metadata fills in what ingest could not keep.
  virtual Result<void> KeepInstanceHeader(std::string_view blob_key, ByteView header) = 0;
};

}  // namespace cf::catalog
