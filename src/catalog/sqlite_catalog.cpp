// SPDX-License-Identifier: Apache-2.0
// Opening the SQLite catalog and its write path. Concurrent Index() calls
// are grouped: the first caller becomes the writer, takes every queued
// request into one transaction (each under its own savepoint, so one bad
// object does not fail the others) and commits once; the others wait for
// that commit. This keeps the durability promise at one WAL fsync per group.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "catalog/sqlite_catalog_impl.hpp"
#include "catalog/sqlite_migrations.hpp"
#include "core/log.hpp"
#include "core/tenant.hpp"
#include "core/time_text.hpp"

namespace cf::catalog {
namespace sqlite {
namespace {

// Per read connection; each statement holds a few KiB.
constexpr size_t kMaxCachedStatements = 256;

// Adds `modality` to a '\'-joined sorted set.
std::string AddModality(const std::string& set, const std::string& modality) {
  if (modality.empty()) return set;
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= set.size() && !set.empty()) {
    const size_t end = set.find('\\', start);
    items.push_back(set.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (const auto& m : items) {
    if (m == modality) return set;
  }
  items.push_back(modality);
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& m : items) {
    if (!out.empty()) out.push_back('\\');
    out += m;
  }
  return out;
}

Result<std::optional<int64_t>> OptionalPk(Statement* s) {
  auto row = s->Step();
  if (!row) return std::unexpected(row.error());
  std::optional<int64_t> pk;
  if (*row) pk = s->Int(0);
  s->Reset();
  return pk;
}

}  // namespace

Result<std::optional<int64_t>> FindTenantPk(Connection& db, std::string_view code) {
  auto s = db.Prepare("SELECT pk FROM tenants WHERE code = ?1");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, code);
  return OptionalPk(*s);
}

Result<StoredState> CheckAgainstStored(Connection& db, const dicom::ParsedInstance& p,
                                       std::string_view sha256_hex, int64_t tenant_pk) {
  StoredState state;
  {
    auto s = db.Prepare(
        "SELECT i.version, i.sha256, i.blob_key, se.series_uid FROM instances i "
        "JOIN series se ON se.pk = i.series_pk WHERE i.sop_uid = ?1 AND i.tenant_pk = ?2 "
        "ORDER BY i.version");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, p.sop_instance_uid).Bind(2, tenant_pk);
    for (;;) {
      auto row = (*s)->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      const int version = static_cast<int>((*s)->Int(0));
      if ((*s)->Text(3) != p.series_instance_uid) {
        (*s)->Reset();
        return Fail(ErrorCode::kConflict,
                    "SOP Instance UID already stored in another series; refusing to move it");
      }
      if ((*s)->Text(1) == sha256_hex && !state.already_present) {
        state.already_present = IndexResult{IndexOutcome::kAlreadyPresent, version, (*s)->Text(2)};
      }
      state.next_version = version + 1;
    }
    (*s)->Reset();
  }
  if (state.already_present) return state;
  {
    auto s = db.Prepare(
        "SELECT se.pk, st.study_uid FROM series se JOIN studies st ON st.pk = se.study_pk "
        "WHERE se.series_uid = ?1 AND se.tenant_pk = ?2");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, p.series_instance_uid).Bind(2, tenant_pk);
    auto row = (*s)->Step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      if ((*s)->Text(1) != p.study_instance_uid) {
        (*s)->Reset();
        return Fail(ErrorCode::kConflict, "Series Instance UID already belongs to another study");
      }
      state.series_pk = (*s)->Int(0);
    }
    (*s)->Reset();
  }
  {
    auto s = db.Prepare(
        "SELECT st.pk, pa.patient_id, pa.issuer FROM studies st "
        "JOIN patients pa ON pa.pk = st.patient_pk WHERE st.study_uid = ?1 AND st.tenant_pk = ?2");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, p.study_instance_uid).Bind(2, tenant_pk);
    auto row = (*s)->Step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      if ((*s)->Text(1) != p.patient_id || (*s)->Text(2) != p.issuer_of_patient_id) {
        (*s)->Reset();
        return Fail(ErrorCode::kConflict,
                    "Study Instance UID already belongs to another patient; refusing to move it");
      }
      state.study_pk = (*s)->Int(0);
    }
    (*s)->Reset();
  }
  return state;
}

SqliteCatalog::SqliteCatalog(SqliteOptions options, Connection writer,
                             std::vector<Connection> readers,
                             std::unique_ptr<FilesystemFlush> flush)
    : options_(std::move(options)),
      flush_(std::move(flush)),
      writer_(std::move(writer)),
      readers_(std::move(readers)) {
  for (auto& r : readers_) free_readers_.push_back(&r);
}

SqliteCatalog::Lease::~Lease() {
  {
    std::lock_guard lock(owner_.read_mutex_);
    owner_.free_readers_.push_back(conn_);
  }
  owner_.read_cv_.notify_one();
}

SqliteCatalog::Lease SqliteCatalog::Borrow() {
  std::unique_lock lock(read_mutex_);
  read_cv_.wait(lock, [&] { return !free_readers_.empty(); });
  Connection* c = free_readers_.back();
  free_readers_.pop_back();
  c->TrimCache(kMaxCachedStatements);
  return Lease(*this, c);
}

Result<std::optional<int64_t>> SqliteCatalog::ScopePk(Connection& db, const Scope& scope) {
  if (scope.all()) return int64_t{0};
  {
    std::lock_guard lock(tenant_mutex_);
    if (auto it = tenant_pks_.find(scope.tenant()); it != tenant_pks_.end()) return it->second;
  }
  auto pk = FindTenantPk(db, scope.tenant());
  if (pk && *pk) {
    std::lock_guard lock(tenant_mutex_);
    tenant_pks_.emplace(scope.tenant(), **pk);
  }
  return pk;
}

Result<std::optional<IndexResult>> SqliteCatalog::Precheck(const dicom::ParsedInstance& parsed,
                                                           std::string_view sha256_hex,
                                                           std::string_view tenant) {
  auto db = Borrow();
  auto tenant_pk = ScopePk(*db, Scope::Of(std::string(tenant)));
  if (!tenant_pk) return std::unexpected(tenant_pk.error());
  if (!*tenant_pk) return std::optional<IndexResult>();  // the tenant's first object
  auto state = CheckAgainstStored(*db, parsed, sha256_hex, **tenant_pk);
  if (!state) return std::unexpected(state.error());
  return state->already_present;
}

Result<IndexResult> SqliteCatalog::Index(const InstanceToIndex& instance) {
  Pending me{&instance};
  Submit(me);
  return std::move(me.result);
}

Result<void> SqliteCatalog::UpdateBlob(const BlobUpdate& update) {
  Pending me;
  me.update = &update;
  Submit(me);
  if (!me.result) return std::unexpected(me.result.error());
  return {};
}

void SqliteCatalog::Submit(Pending& me) {
  std::unique_lock lock(write_mutex_);
  queue_.push_back(&me);
  while (!me.done) {
    if (writing_) {
      write_cv_.wait(lock);
      continue;
    }
    writing_ = true;
    std::vector<Pending*> batch;
    batch.swap(queue_);
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    writing_ = false;
    for (Pending* p : batch) p->done = true;
    write_cv_.notify_all();
  }
}

Result<void> SqliteCatalog::Sync() {
  // Committed transactions are in the WAL; making the WAL durable is all a
  // checkpoint of the ingest journal needs. (A WAL checkpoint into the main
  // file would need free space to grow it, and fails on a full disk.)
  // The filesystem rather than the WAL: an fdatasync of the WAL opened now
  // would not report an error of the kernel's writeback before it
  // (core/filesystem_flush.hpp). With the blobs on the same filesystem
  // (the documented layout), their Sync just flushed it all and this one
  // is nearly free.
  return flush_->Flush();
}

void SqliteCatalog::RunBatch(std::vector<Pending*>& batch) {
  auto fail_all = [&](const Error& e) {
    for (Pending* p : batch) p->result = std::unexpected(e);
  };
  // Prepared once per connection: parsing these four texts again for
  // every object was a tenth of the catalog's time at ingest.
  auto run = [&](std::string_view sql) -> Result<void> {
    auto s = writer_.Prepare(sql);
    if (!s) return std::unexpected(s.error());
    return (*s)->Run();
  };
  if (auto r = run("BEGIN IMMEDIATE"); !r) {
    fail_all(r.error());
    return;
  }
  if (batch.size() == 1) {
    // Alone in its transaction, an item needs no savepoint: a failure
    // rolls the transaction back.
    Pending* p = batch.front();
    p->result = RunOne(*p);
    if (!p->result) {
      (void)run("ROLLBACK");
      return;
    }
  } else {
    for (Pending* p : batch) {
      if (auto r = run("SAVEPOINT item"); !r) {
        p->result = std::unexpected(r.error());
        continue;
      }
      p->result = RunOne(*p);
      if (!p->result) {
        (void)run("ROLLBACK TO item");
      }
      (void)run("RELEASE item");
    }
  }
  if (auto r = run("COMMIT"); !r) {
    (void)run("ROLLBACK");
    log::Error("catalog.commit_failed", {{"batch", batch.size()}, {"error", r.error().message}});
    fail_all(r.error());
  }
}

Result<IndexResult> SqliteCatalog::RunOne(const Pending& p) {
  if (p.instance) return IndexOne(*p.instance);
  if (p.update) return UpdateBlobOne(*p.update);
  return KeepHeaderOne(*p.header);
}

Result<IndexResult> SqliteCatalog::KeepHeaderOne(const HeaderToKeep& h) {
  auto keep = writer_.Prepare(
      "INSERT OR IGNORE INTO instance_headers (instance_pk, header) "
      "SELECT pk, ?2 FROM instances WHERE blob_key = ?1");
  if (!keep) return std::unexpected(keep.error());
  (*keep)->Bind(1, h.blob_key).BindBlob(2, h.header);
  if (auto r = (*keep)->Run(); !r) return std::unexpected(r.error());
  return IndexResult{};
}

Result<void> SqliteCatalog::KeepInstanceHeader(std::string_view blob_key, ByteView header) {
  const HeaderToKeep keep{blob_key, header};
  Pending me;
  me.header = &keep;
  Submit(me);
  if (!me.result) return std::unexpected(me.result.error());
  return {};
}

Result<IndexResult> SqliteCatalog::UpdateBlobOne(const BlobUpdate& u) {
  auto old = writer_.Prepare("SELECT stored_size, tenant_pk FROM instances WHERE blob_key = ?1");
  if (!old) return std::unexpected(old.error());
  (*old)->Bind(1, u.blob_key);
  auto row = (*old)->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    (*old)->Reset();
    return Fail(ErrorCode::kNotFound, "no instance has this blob");
  }
  const int64_t before = (*old)->Int(0);
  const int64_t tenant_pk = (*old)->Int(1);
  (*old)->Reset();
  auto set = writer_.Prepare(
      "UPDATE instances SET stored_size = ?2, stored_form = ?3, blob_key = ?4 WHERE blob_key = ?1");
  if (!set) return std::unexpected(set.error());
  (*set)->Bind(1, u.blob_key).Bind(2, static_cast<int64_t>(u.stored_size));
  (*set)->Bind(3, static_cast<int64_t>(u.form));
  (*set)->Bind(4, u.new_blob_key.empty() ? u.blob_key : u.new_blob_key);
  if (auto r = (*set)->Run(); !r) return std::unexpected(r.error());
  auto own = writer_.Prepare(
      "UPDATE tenant_counters SET bytes_stored = bytes_stored + ?1 WHERE tenant_pk = ?2");
  if (!own) return std::unexpected(own.error());
  (*own)->Bind(1, static_cast<int64_t>(u.stored_size) - before).Bind(2, tenant_pk);
  if (auto r = (*own)->Run(); !r) return std::unexpected(r.error());
  return IndexResult{};
}

Result<IndexResult> SqliteCatalog::IndexOne(const InstanceToIndex& in) {
  const dicom::ParsedInstance& p = *in.parsed;
  if (!IsValidTenantCode(in.tenant)) return Fail(ErrorCode::kInternal, "no valid tenant to index");
  int64_t tenant_pk = 0;
  {
    // Read without caching: what this uncommitted batch inserted may yet roll back.
    std::optional<int64_t> cached;
    {
      std::lock_guard lock(tenant_mutex_);
      if (auto it = tenant_pks_.find(in.tenant); it != tenant_pks_.end()) cached = it->second;
    }
    auto known = cached ? Result<std::optional<int64_t>>(cached) : FindTenantPk(writer_, in.tenant);
    if (!known) return std::unexpected(known.error());
    if (*known) {
      tenant_pk = **known;
    } else {
      auto add = writer_.Prepare("INSERT INTO tenants (code) VALUES (?1)");
      if (!add) return std::unexpected(add.error());
      (*add)->Bind(1, in.tenant);
      if (auto r = (*add)->Run(); !r) return std::unexpected(r.error());
      tenant_pk = sqlite3_last_insert_rowid(writer_.get());
    }
  }
  auto state = CheckAgainstStored(writer_, p, in.sha256_hex, tenant_pk);
  if (!state) return std::unexpected(state.error());
  if (state->already_present) return *state->already_present;
  const int64_t now = UnixNowMs();
  auto run = [&](std::string_view sql, auto&& bind) -> Result<Statement*> {
    auto s = writer_.Prepare(sql);
    if (!s) return s;
    bind(**s);
    return s;
  };

  int64_t study_pk = 0;
  if (state->study_pk) {
    study_pk = *state->study_pk;
  } else {
    auto ins =
        run("INSERT INTO patients (patient_id, issuer, name, birth_date, sex, tenant_pk) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6) "
            "ON CONFLICT (patient_id, issuer, tenant_pk) DO NOTHING",
            [&](Statement& s) {
              s.Bind(1, p.patient_id).Bind(2, p.issuer_of_patient_id).Bind(3, p.patient_name);
              s.Bind(4, p.patient_birth_date).Bind(5, p.patient_sex).Bind(6, tenant_pk);
            });
    if (!ins) return std::unexpected(ins.error());
    if (auto r = (*ins)->Run(); !r) return std::unexpected(r.error());
    const bool new_patient = sqlite3_changes(writer_.get()) > 0;
    auto sel =
        run("SELECT pk FROM patients WHERE patient_id = ?1 AND issuer = ?2 AND tenant_pk = ?3",
            [&](Statement& s) {
              s.Bind(1, p.patient_id).Bind(2, p.issuer_of_patient_id).Bind(3, tenant_pk);
            });
    if (!sel) return std::unexpected(sel.error());
    auto patient_pk = OptionalPk(*sel);
    if (!patient_pk) return std::unexpected(patient_pk.error());
    if (!*patient_pk) return Fail(ErrorCode::kInternal, "patient row vanished");
    if (new_patient) {
      if (auto r = InsertNameWords(writer_, **patient_pk, p.patient_name); !r) {
        return std::unexpected(r.error());
      }
    }
    auto st = run(
        "INSERT INTO studies (patient_pk, study_uid, study_date, study_time, accession, study_id, "
        "description, referring, created_at, updated_at, tenant_pk) VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?9, ?10)",
        [&](Statement& s) {
          s.Bind(1, **patient_pk).Bind(2, p.study_instance_uid).Bind(3, p.study_date);
          s.Bind(4, p.study_time).Bind(5, p.accession_number).Bind(6, p.study_id);
          s.Bind(7, p.study_description).Bind(8, p.referring_physician_name).Bind(9, now);
          s.Bind(10, tenant_pk);
        });
    if (!st) return std::unexpected(st.error());
    if (auto r = (*st)->Run(); !r) return std::unexpected(r.error());
    study_pk = sqlite3_last_insert_rowid(writer_.get());
  }

  int64_t series_pk = 0;
  if (state->series_pk) {
    series_pk = *state->series_pk;
  } else {
    auto se = run(
        "INSERT INTO series (study_pk, series_uid, modality, series_number, description, "
        "body_part, series_date, series_time, pps_start_date, pps_start_time, tenant_pk) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        [&](Statement& s) {
          s.Bind(1, study_pk).Bind(2, p.series_instance_uid).Bind(3, p.modality);
          s.Bind(4, p.series_number).Bind(5, p.series_description).Bind(6, p.body_part_examined);
          s.Bind(7, p.series_date).Bind(8, p.series_time);
          s.Bind(9, p.performed_procedure_step_start_date);
          s.Bind(10, p.performed_procedure_step_start_time).Bind(11, tenant_pk);
        });
    if (!se) return std::unexpected(se.error());
    if (auto r = (*se)->Run(); !r) return std::unexpected(r.error());
    series_pk = sqlite3_last_insert_rowid(writer_.get());
    auto mods = run("SELECT modalities FROM studies WHERE pk = ?1",
                    [&](Statement& s) { s.Bind(1, study_pk); });
    if (!mods) return std::unexpected(mods.error());
    auto row = (*mods)->Step();
    if (!row) return std::unexpected(row.error());
    const std::string current = *row ? (*mods)->Text(0) : std::string();
    (*mods)->Reset();
    auto up =
        run("UPDATE studies SET modalities = ?2, num_series = num_series + 1 WHERE pk = ?1",
            [&](Statement& s) { s.Bind(1, study_pk).Bind(2, AddModality(current, p.modality)); });
    if (!up) return std::unexpected(up.error());
    if (auto r = (*up)->Run(); !r) return std::unexpected(r.error());
  }

  const int version = state->next_version;
  auto ins = run(
      "INSERT INTO instances (series_pk, sop_uid, version, sop_class, instance_number, "
      "transfer_syntax, rows, columns, frames, sha256, size, blob_key, stored_size, source, "
      "received_at, stored_form, tenant_pk) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
      [&](Statement& s) {
        s.Bind(1, series_pk).Bind(2, p.sop_instance_uid).Bind(3, int64_t{version});
        s.Bind(4, p.sop_class_uid).Bind(5, p.instance_number).Bind(6, p.transfer_syntax_uid);
        s.Bind(7, p.rows).Bind(8, p.columns).Bind(9, p.number_of_frames).Bind(10, in.sha256_hex);
        s.Bind(11, static_cast<int64_t>(in.size)).Bind(12, in.blob_key);
        s.Bind(13, static_cast<int64_t>(in.stored_size)).Bind(14, in.source);
        s.Bind(15, in.received_at_ms).Bind(16, static_cast<int64_t>(in.stored_form));
        s.Bind(17, tenant_pk);
      });
  if (!ins) return std::unexpected(ins.error());
  if (auto r = (*ins)->Run(); !r) return std::unexpected(r.error());
  if (!in.header.empty()) {
    const int64_t instance_pk = sqlite3_last_insert_rowid(writer_.get());
    auto header = run("INSERT INTO instance_headers (instance_pk, header) VALUES (?1, ?2)",
                      [&](Statement& s) { s.Bind(1, instance_pk).BindBlob(2, in.header); });
    if (!header) return std::unexpected(header.error());
    if (auto r = (*header)->Run(); !r) return std::unexpected(r.error());
  }

  const bool first = version == 1;
  // The hospital's counters; the node's are their sum (GetTotals).
  auto own =
      run("INSERT INTO tenant_counters (tenant_pk, instances, instance_versions, bytes_received, "
          "bytes_stored) VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (tenant_pk) DO UPDATE SET "
          "instances = instances + excluded.instances, "
          "instance_versions = instance_versions + 1, "
          "bytes_received = bytes_received + excluded.bytes_received, "
          "bytes_stored = bytes_stored + excluded.bytes_stored",
          [&](Statement& s) {
            s.Bind(1, tenant_pk).Bind(2, int64_t{first ? 1 : 0});
            s.Bind(3, static_cast<int64_t>(in.size)).Bind(4, static_cast<int64_t>(in.stored_size));
          });
  if (!own) return std::unexpected(own.error());
  if (auto r = (*own)->Run(); !r) return std::unexpected(r.error());
  if (first) {
    auto up = run("UPDATE series SET num_instances = num_instances + 1 WHERE pk = ?1",
                  [&](Statement& s) { s.Bind(1, series_pk); });
    if (!up) return std::unexpected(up.error());
    if (auto r = (*up)->Run(); !r) return std::unexpected(r.error());
  }
  auto up =
      run("UPDATE studies SET num_instances = num_instances + ?2, updated_at = ?3 WHERE pk = ?1",
          [&](Statement& s) { s.Bind(1, study_pk).Bind(2, int64_t{first ? 1 : 0}).Bind(3, now); });
  if (!up) return std::unexpected(up.error());
  if (auto r = (*up)->Run(); !r) return std::unexpected(r.error());

  return IndexResult{first ? IndexOutcome::kStored : IndexOutcome::kNewVersion, version,
                     in.blob_key};
}

}  // namespace sqlite

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const SqliteOptions& options) {
  using sqlite::Connection;
  const std::string path = options.path.string();
  const std::filesystem::path folder =
      options.path.has_parent_path() ? options.path.parent_path() : std::filesystem::path(".");
  auto flush = FilesystemFlush::Open(folder, "catalog");
  if (!flush) return std::unexpected(flush.error());
  auto writer = Connection::Open(path, options.busy_timeout_ms, /*readonly=*/false, options.vfs);
  if (!writer) return std::unexpected(writer.error());
  const std::string pragmas = std::string("PRAGMA journal_mode = WAL; ") + "PRAGMA synchronous = " +
                              (options.synchronous_full ? "FULL" : "NORMAL") + ";";
  if (auto r = writer->Exec(pragmas); !r) return std::unexpected(r.error());
  // Foreign keys only after the migrations, which rebuild tables.
  if (auto r = sqlite::Migrate(*writer); !r) return std::unexpected(r.error());
  if (auto r = writer->Exec("PRAGMA foreign_keys = ON;"); !r) return std::unexpected(r.error());
  std::vector<Connection> readers;
  for (int i = 0; i < std::max(1, options.read_connections); ++i) {
    auto reader = Connection::Open(path, options.busy_timeout_ms, /*readonly=*/true, options.vfs);
    if (!reader) return std::unexpected(reader.error());
    readers.push_back(std::move(*reader));
  }
  return std::make_unique<sqlite::SqliteCatalog>(options, std::move(*writer), std::move(readers),
                                                 std::move(*flush));
}

}  // namespace cf::catalog
