// SPDX-License-Identifier: Apache-2.0
// The index of everything stored: patients, studies, series and instance
// versions with the attributes queries need. Backends (SQLite now,
// PostgreSQL later) implement this interface; backends are chosen only in
// apps/cloudfilm. Implementations are thread-safe; calls block.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "catalog/records.hpp"
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

struct InstanceToIndex {
  const dicom::ParsedInstance* parsed = nullptr;  // REQUIRES: not null
  std::string sha256_hex;
  uint64_t size = 0;
  std::string blob_key;
  uint64_t stored_size = 0;
  std::string source;
  int64_t received_at_ms = 0;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // What Index() would answer, without writing: kAlreadyPresent (with the
  // existing blob key) or nullopt when the object is new or a new version.
  // Fails with kConflict when the object contradicts the stored hierarchy (a
  // series in another study, a study under another patient).
  virtual Result<std::optional<IndexResult>> Precheck(const dicom::ParsedInstance& parsed,
                                                      std::string_view sha256_hex) = 0;

  // Records an instance whose blob is already durable. On success the entry is
  // committed durably. Concurrent callers may share one transaction (group
  // commit). Same errors as Precheck.
  virtual Result<IndexResult> Index(const InstanceToIndex& instance) = 0;

  // Makes every committed entry durable, for backends configured not to
  // sync each commit (the archive's ingest journal covers those).
  virtual Result<void> Sync() = 0;

  // Records that the blob `blob_key` now takes `stored_size` bytes (its
  // stored form replaced the received bytes) and adjusts the total.
  // kNotFound when no instance refers to the blob.
  virtual Result<void> SetStoredSize(std::string_view blob_key, uint64_t stored_size) = 0;

  virtual Result<Totals> GetTotals() = 0;
  virtual Result<Page<PatientRecord>> FindPatients(const PatientQuery& query) = 0;
  virtual Result<Page<StudyRecord>> FindStudies(const StudyQuery& query) = 0;
  virtual Result<StudyRecord> GetStudy(std::string_view study_uid) = 0;
  virtual Result<std::vector<SeriesRecord>> ListSeries(std::string_view study_uid) = 0;
  // Every version of every instance of the series, by instance number then version.
  virtual Result<std::vector<InstanceRecord>> ListInstances(std::string_view series_uid) = 0;
  // Every version of one SOP Instance UID, oldest first; kNotFound if none.
  virtual Result<std::vector<InstanceRecord>> GetInstanceVersions(std::string_view sop_uid) = 0;
  // Visits every instance version (for fsck) until `visit` returns false.
  virtual Result<void> ForEachInstance(const std::function<bool(const InstanceRecord&)>& visit) = 0;
  // True when some instance version refers to `blob_key`.
  virtual Result<bool> HasBlob(std::string_view blob_key) = 0;
};

}  // namespace cf::catalog
