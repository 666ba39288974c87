// SPDX-License-Identifier: Apache-2.0
// Private to the SQLite backend: the class behind OpenSqliteCatalog, split
// between sqlite_catalog.cpp (opening, writes, group commit) and
// sqlite_queries.cpp (reads).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/sqlite_catalog.hpp"
#include "catalog/sqlite_db.hpp"
#include "core/filesystem_flush.hpp"

namespace cf::catalog::sqlite {

// What the stored hierarchy says about an incoming object.
struct StoredState {
  std::optional<IndexResult> already_present;
  int next_version = 1;
  std::optional<int64_t> series_pk;
  std::optional<int64_t> study_pk;
};

// What the stored hierarchy of tenant `tenant_pk` says; REQUIRES: `db` is
// inside a transaction or a consistent read.
Result<StoredState> CheckAgainstStored(Connection& db, const dicom::ParsedInstance& parsed,
                                       std::string_view sha256_hex, int64_t tenant_pk);

// The pk of tenant `code`; nullopt when nothing of it was ever stored.
Result<std::optional<int64_t>> FindTenantPk(Connection& db, std::string_view code);

// The one order of series within a study and of instances within a series,
// wherever the catalog lists them (QIDO, metadata and retrieve, the first
// instance of a match): by number, those without one last, then as
// received. Schema 9's order indexes follow it. `table` is the statement's
// alias of the series or instances table.
std::string SeriesOrder(std::string_view table);
std::string InstanceOrder(std::string_view table);

// The statement SqliteCatalog::Search runs for `query` in tenant
// `tenant_pk` (0: every tenant), its values as unbound parameters: for
// tests that check how SQLite plans it.
std::string SearchSelectSql(const Query& query, int64_t tenant_pk);

class SqliteCatalog final : public Catalog {
 public:
  // `flush`: of the catalog's folder, open before anything is written.
  SqliteCatalog(SqliteOptions options, Connection writer, std::vector<Connection> readers,
                std::unique_ptr<FilesystemFlush> flush);

  Result<std::optional<IndexResult>> Precheck(const dicom::ParsedInstance& parsed,
                                              std::string_view sha256_hex,
                                              std::string_view tenant) override;
  Result<IndexResult> Index(const InstanceToIndex& instance) override;
  Result<void> Sync() override;
  Result<void> UpdateBlob(const BlobUpdate& update) override;
  Result<std::vector<StoredBlob>> ListBlobs(int64_t after_pk, int limit) override;
  Result<std::vector<UnexaminedBlob>> FindUnexamined(int64_t after_pk, int limit,
                                                     int64_t received_before_ms) override;
  Result<Totals> GetTotals() override;
  Result<Totals> GetTenantTotals(std::string_view tenant) override;
  Result<std::vector<ModalityUsage>> UsageByModality(const Scope& scope) override;
  Result<Page<PatientRecord>> FindPatients(const PatientQuery& query) override;
  Result<Page<StudyRecord>> FindStudies(const StudyQuery& query) override;
  Result<StudyRecord> GetStudy(const Scope& scope, std::string_view study_uid) override;
  Result<Page<QueryMatch>> Search(const Query& query) override;
  Result<std::vector<SeriesRecord>> ListSeries(const Scope& scope,
                                               std::string_view study_uid) override;
  Result<std::vector<std::optional<InstanceRecord>>> FirstInstances(
      QueryLevel level, std::span<const TenantUid> parents) override;
  Result<std::vector<InstanceRecord>> ListInstances(const Scope& scope,
                                                    std::string_view series_uid) override;
  Result<std::vector<InstanceRecord>> GetInstanceVersions(const Scope& scope,
                                                          std::string_view sop_uid) override;

  // The tenant pk that `scope` reads: 0 for every tenant, nullopt for a
  // tenant that has stored nothing (so its reads find nothing). Cached:
  // tenant rows are never renumbered.
  Result<std::optional<int64_t>> ScopePk(Connection& db, const Scope& scope);
  Result<void> ForEachInstance(const std::function<bool(const InstanceRecord&)>& visit) override;
  Result<bool> HasBlob(std::string_view blob_key) override;
  Result<std::vector<std::optional<Bytes>>> InstanceHeaders(
      std::span<const std::string_view> blob_keys) override;
  Result<void> KeepInstanceHeader(std::string_view blob_key, ByteView header) override;

 private:
  struct HeaderToKeep {
    std::string_view blob_key;
    ByteView header;
  };
  struct Pending {
    const InstanceToIndex* instance = nullptr;  // an Index, or
    const BlobUpdate* update = nullptr;         // an UpdateBlob, or
    const HeaderToKeep* header = nullptr;       // a KeepInstanceHeader
    Result<IndexResult> result = std::unexpected(Error{ErrorCode::kInternal, "not run"});
    bool done = false;
  };

  // A read connection borrowed from the pool for the lifetime of the lease.
  class Lease {
   public:
    Lease(SqliteCatalog& owner, Connection* c) : owner_(owner), conn_(c) {}
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    SqliteCatalog& owner_;
    Connection* conn_;
  };
  Lease Borrow();

  // Queues `me` for the group-commit writer and returns once it ran.
  void Submit(Pending& me);
  void RunBatch(std::vector<Pending*>& batch);
  Result<IndexResult> IndexOne(const InstanceToIndex& instance);
  Result<IndexResult> RunOne(const Pending& p);
  Result<IndexResult> UpdateBlobOne(const BlobUpdate& update);
  Result<IndexResult> KeepHeaderOne(const HeaderToKeep& header);

  SqliteOptions options_;
  std::unique_ptr<FilesystemFlush> flush_;

  std::mutex write_mutex_;
  std::condition_variable write_cv_;
  bool writing_ = false;         // guarded by write_mutex_
  std::vector<Pending*> queue_;  // guarded by write_mutex_
  Connection writer_;            // used only by the thread that set writing_

  std::mutex read_mutex_;
  std::condition_variable read_cv_;
  std::vector<Connection> readers_;
  std::vector<Connection*> free_readers_;  // guarded by read_mutex_

  std::mutex tenant_mutex_;
  std::map<std::string, int64_t, std::less<>> tenant_pks_;  // guarded by tenant_mutex_
};

}  // namespace cf::catalog::sqlite
