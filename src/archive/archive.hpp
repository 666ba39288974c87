// SPDX-License-Identifier: Apache-2.0
// The archive's use cases: ingest a received object durably, query the
// index, read back exact bytes, and check consistency (fsck). Protocol front
// ends (DIMSE, HTTP, CLI import) call only this. Thread-safe; every call
// blocks (parsing, disk, database), so call it from a blocking pool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "dicom/instance.hpp"
#include "store/blob_store.hpp"

namespace cf::archive {

struct ArchiveOptions {
  // Objects larger than this are refused (kTooLarge).
  uint64_t max_object_size = 2ull << 30;
  // Accept raw datasets without file meta (with a warning).
  bool accept_raw_dataset = true;
};

struct IngestSource {
  std::string channel;  // "dimse", "http", "import"
  std::string peer;     // calling AE title, client address or file path kind; no patient data
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
  int64_t missing_blobs = 0;        // catalog entry without its blob
  int64_t hash_mismatches = 0;      // blob present but bytes differ from the recorded SHA-256
  int64_t orphan_blobs = 0;         // blob without a catalog entry
  int64_t orphans_reindexed = 0;    // with repair: orphan blobs indexed again
  int64_t orphans_removed = 0;      // with repair: orphans that are not valid DICOM, removed
  int64_t temp_files_removed = 0;   // with repair: half-written files left by a crash
  std::vector<std::string> problems;  // one line each, keys and internal ids only
  bool Clean() const {
    return missing_blobs == 0 && hash_mismatches == 0 && orphan_blobs == orphans_reindexed + orphans_removed;
  }
};

class Archive {
 public:
  // Borrows `catalog` and `blobs`, which must outlive the archive.
  Archive(catalog::Catalog& catalog, store::BlobStore& blobs, ArchiveOptions options);

  // Parses and validates `bytes`, then makes them durable: blob written and
  // fsynced, catalog committed. Only then does it return success. The same
  // bytes again are an idempotent success (kAlreadyPresent); different bytes
  // under a known SOP Instance UID are kept as a new version (kNewVersion).
  // Errors: kInvalidDicom, kTooLarge, kConflict (hierarchy),
  // kStorageUnavailable (disk full or failing).
  Result<IngestReceipt> Ingest(ByteView bytes, const IngestSource& source);

  Result<catalog::Totals> Totals();
  Result<catalog::Page<catalog::PatientRecord>> FindPatients(const catalog::PatientQuery& q);
  Result<catalog::Page<catalog::StudyRecord>> FindStudies(const catalog::StudyQuery& q);
  Result<catalog::StudyRecord> GetStudy(std::string_view study_uid);
  Result<std::vector<catalog::SeriesRecord>> ListSeries(std::string_view study_uid);
  Result<std::vector<catalog::InstanceRecord>> ListInstances(std::string_view series_uid);
  Result<std::vector<catalog::InstanceRecord>> GetInstanceVersions(std::string_view sop_uid);

  // The exact received bytes of one version (default: the first, version 1).
  // The bytes are checked against the recorded SHA-256 before they are
  // returned; a mismatch fails with kInternal and is logged.
  Result<Bytes> ReadInstance(std::string_view sop_uid, std::optional<int> version = std::nullopt);

  // Checks every catalog entry against its blob and every blob against the
  // catalog. With `repair`, re-indexes orphan blobs that are valid DICOM,
  // removes those that are not and removes crash leftovers.
  Result<FsckReport> Fsck(bool repair);

  const ArchiveOptions& Options() const { return options_; }

 private:
  catalog::Catalog& catalog_;
  store::BlobStore& blobs_;
  ArchiveOptions options_;
};

}  // namespace cf::archive
