// SPDX-License-Identifier: Apache-2.0
// Ingest, read-back and fsck. The order of the ingest steps is the
// durability argument: the blob is durable before the catalog entry commits,
// and the caller hears "success" only after both. A crash between the two
// leaves an orphan blob, which fsck re-indexes; it never leaves a catalog
// entry without its bytes.
#include "archive/archive.hpp"

#include <chrono>
#include <ctime>

#include "core/log.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"

namespace cf::archive {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Keys group blobs by the hour they arrived, so that concurrent writes share
// a folder (and its fsync) and operators can back up or inspect by date.
std::string NewBlobKey() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char prefix[32];
  std::strftime(prefix, sizeof prefix, "%Y%m%d/%H", &tm);
  return std::string(prefix) + "/" + crypto::RandomHex(16) + ".dcm";
}

std::string_view OutcomeName(catalog::IndexOutcome o) {
  switch (o) {
    case catalog::IndexOutcome::kStored: return "stored";
    case catalog::IndexOutcome::kAlreadyPresent: return "already-present";
    case catalog::IndexOutcome::kNewVersion: return "new-version";
  }
  return "?";
}

}  // namespace

Archive::Archive(catalog::Catalog& catalog, store::BlobStore& blobs, ArchiveOptions options)
    : catalog_(catalog), blobs_(blobs), options_(options) {}

Result<IngestReceipt> Archive::Ingest(ByteView bytes, const IngestSource& source) {
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
  IngestReceipt receipt;
  receipt.sop_class_uid = parsed->sop_class_uid;
  receipt.sop_instance_uid = parsed->sop_instance_uid;
  receipt.study_instance_uid = parsed->study_instance_uid;
  receipt.series_instance_uid = parsed->series_instance_uid;
  receipt.sha256_hex = crypto::ToHex(crypto::Sha256(bytes));
  receipt.size = bytes.size();
  receipt.warnings = parsed->warnings;

  auto pre = catalog_.Precheck(*parsed, receipt.sha256_hex);
  if (!pre) return std::unexpected(pre.error());
  if (*pre) {
    receipt.outcome = (*pre)->outcome;
    receipt.version = (*pre)->version;
    return receipt;
  }

  const std::string key = NewBlobKey();
  if (auto put = blobs_.Put(key, bytes); !put) {
    log::Error("ingest.blob_write_failed", {{"channel", source.channel}, {"error", put.error().message}});
    return std::unexpected(put.error());
  }
  catalog::InstanceToIndex entry;
  entry.parsed = &*parsed;
  entry.sha256_hex = receipt.sha256_hex;
  entry.size = bytes.size();
  entry.blob_key = key;
  entry.stored_size = bytes.size();
  entry.source = source.peer.empty() ? source.channel : source.channel + ":" + source.peer;
  entry.received_at_ms = NowMs();
  auto indexed = catalog_.Index(entry);
  if (!indexed || indexed->blob_key != key) {
    // Not indexed, or a concurrent ingest of the same bytes won: our blob is
    // unreferenced. Failing to remove it only leaves an orphan for fsck.
    (void)blobs_.Remove(key);
  }
  if (!indexed) {
    log::Warn("ingest.index_failed", {{"channel", source.channel}, {"error", indexed.error().message}});
    return std::unexpected(indexed.error());
  }
  receipt.outcome = indexed->outcome;
  receipt.version = indexed->version;
  log::Debug("ingest.done", {{"channel", source.channel},
                             {"outcome", std::string(OutcomeName(receipt.outcome))},
                             {"version", receipt.version},
                             {"bytes", receipt.size}});
  return receipt;
}

Result<catalog::Totals> Archive::Totals() { return catalog_.GetTotals(); }

Result<catalog::Page<catalog::PatientRecord>> Archive::FindPatients(const catalog::PatientQuery& q) {
  return catalog_.FindPatients(q);
}

Result<catalog::Page<catalog::StudyRecord>> Archive::FindStudies(const catalog::StudyQuery& q) {
  return catalog_.FindStudies(q);
}

Result<catalog::StudyRecord> Archive::GetStudy(std::string_view study_uid) {
  return catalog_.GetStudy(study_uid);
}

Result<std::vector<catalog::SeriesRecord>> Archive::ListSeries(std::string_view study_uid) {
  return catalog_.ListSeries(study_uid);
}

Result<std::vector<catalog::InstanceRecord>> Archive::ListInstances(std::string_view series_uid) {
  return catalog_.ListInstances(series_uid);
}

Result<std::vector<catalog::InstanceRecord>> Archive::GetInstanceVersions(std::string_view sop_uid) {
  return catalog_.GetInstanceVersions(sop_uid);
}

Result<Bytes> Archive::ReadInstance(std::string_view sop_uid, std::optional<int> version) {
  auto versions = catalog_.GetInstanceVersions(sop_uid);
  if (!versions) return std::unexpected(versions.error());
  const int wanted = version.value_or(1);
  const catalog::InstanceRecord* rec = nullptr;
  for (const auto& v : *versions) {
    if (v.version == wanted) rec = &v;
  }
  if (rec == nullptr) return Fail(ErrorCode::kNotFound, "unknown version of the instance");
  auto bytes = blobs_.Get(rec->blob_key);
  if (!bytes) {
    log::Error("retrieve.blob_unreadable", {{"blob", rec->blob_key}, {"error", bytes.error().message}});
    if (bytes.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kInternal, "stored bytes are missing (run fsck)");
    }
    return std::unexpected(bytes.error());
  }
  if (crypto::ToHex(crypto::Sha256(*bytes)) != rec->sha256_hex) {
    log::Error("retrieve.hash_mismatch", {{"blob", rec->blob_key}});
    return Fail(ErrorCode::kInternal, "stored bytes do not match their recorded SHA-256 (run fsck)");
  }
  return bytes;
}

Result<FsckReport> Archive::Fsck(bool repair) {
  FsckReport report;
  auto walk = catalog_.ForEachInstance([&](const catalog::InstanceRecord& rec) {
    ++report.instances_checked;
    auto bytes = blobs_.Get(rec.blob_key);
    if (!bytes) {
      ++report.missing_blobs;
      report.problems.push_back("missing blob " + rec.blob_key + " (" + bytes.error().message + ")");
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
    auto bytes = blobs_.Get(key);
    if (!bytes) {
      report.problems.push_back("orphan blob " + key + " unreadable: " + bytes.error().message);
      continue;
    }
    auto parsed = dicom::ParseInstance(*bytes, {options_.max_object_size, options_.accept_raw_dataset});
    if (!parsed) {
      if (blobs_.Remove(key)) ++report.orphans_removed;
      report.problems.push_back("orphan blob " + key + " is not valid DICOM; removed");
      continue;
    }
    catalog::InstanceToIndex entry;
    entry.parsed = &*parsed;
    entry.sha256_hex = crypto::ToHex(crypto::Sha256(*bytes));
    entry.size = bytes->size();
    entry.blob_key = key;
    entry.stored_size = bytes->size();
    entry.source = "fsck";
    entry.received_at_ms = NowMs();
    auto indexed = catalog_.Index(entry);
    if (!indexed) {
      report.problems.push_back("orphan blob " + key + " cannot be indexed: " + indexed.error().message);
      continue;
    }
    if (indexed->blob_key == key) {
      ++report.orphans_reindexed;
    } else if (blobs_.Remove(key)) {
      ++report.orphans_removed;  // a duplicate of bytes another blob already holds
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
