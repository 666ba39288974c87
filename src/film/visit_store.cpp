// SPDX-License-Identifier: Apache-2.0
#include "film/visit_store.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "catalog/sqlite_db.hpp"
#include "core/time_text.hpp"

namespace cf::film {
namespace {

using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE visits (
  tenant       TEXT NOT NULL,
  visit_id     TEXT NOT NULL,
  patient_id   TEXT NOT NULL,
  issuer       TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('outpatient', 'inpatient')),
  visit_date   TEXT NOT NULL,
  received_by  TEXT NOT NULL,
  received_ms  INTEGER NOT NULL,
  PRIMARY KEY (tenant, visit_id)
) WITHOUT ROWID;
CREATE INDEX visits_patient ON visits (tenant, patient_id, issuer, kind, visit_date);
)sql",
    R"sql(
CREATE TABLE visit_accessions (
  tenant     TEXT NOT NULL,
  visit_id   TEXT NOT NULL,
  accession  TEXT NOT NULL,
  PRIMARY KEY (tenant, visit_id, accession)
) WITHOUT ROWID;
)sql",
};

// A visit's orders, generously: a day of an inpatient's stay can order a
// dozen exams, a long stay a few hundred.
constexpr size_t kMaxAccessions = 500;

Result<void> Validate(const Visit& v) {
  auto bad = [](const std::string& what) -> Result<void> {
    return Fail(ErrorCode::kInvalidArgument, what);
  };
  if (v.visit_id.empty() || v.visit_id.size() > 64) return bad("visit_id: 1 to 64 characters");
  if (v.patient_id.empty() || v.patient_id.size() > 64)
    return bad("patient_id: 1 to 64 characters");
  if (v.issuer_of_patient_id.size() > 64) return bad("issuer_of_patient_id: at most 64 characters");
  if (v.kind == VisitKind::kOutpatient && v.date.empty()) {
    return bad("date: an outpatient visit needs its date");
  }
  if (!v.date.empty() && AddYears(v.date, 0) != v.date) return bad("date: not a date (YYYYMMDD)");
  if (v.accessions.size() > kMaxAccessions) {
    return bad("accessions: at most " + std::to_string(kMaxAccessions));
  }
  for (const auto& a : v.accessions) {
    // DICOM Accession Number is SH: 16 characters, no backslash or control.
    const bool printable = std::ranges::all_of(
        a, [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != '\\'; });
    if (a.empty() || a.size() > 16 || !printable) {
      return bad("accessions: each 1 to 16 characters, as DICOM Accession Number");
    }
  }
  return {};
}

Result<void> WriteVisit(Connection& db, const Visit& v) {
  auto s = db.Prepare(
      "INSERT INTO visits (tenant, visit_id, patient_id, issuer, kind, visit_date, received_by, "
      "received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (tenant, visit_id) DO UPDATE SET kind = excluded.kind, "
      "visit_date = excluded.visit_date, received_by = excluded.received_by, "
      "received_ms = excluded.received_ms");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, v.tenant).Bind(2, v.visit_id).Bind(3, v.patient_id);
  (*s)->Bind(4, v.issuer_of_patient_id).Bind(5, VisitKindName(v.kind)).Bind(6, v.date);
  (*s)->Bind(7, v.received_by).Bind(8, UnixNowMs());
  if (auto r = (*s)->Run(); !r) return r;
  for (const auto& accession : v.accessions) {
    auto add = db.Prepare(
        "INSERT INTO visit_accessions (tenant, visit_id, accession) VALUES (?1, ?2, ?3) "
        "ON CONFLICT DO NOTHING");
    if (!add) return std::unexpected(add.error());
    (*add)->Bind(1, v.tenant).Bind(2, v.visit_id).Bind(3, accession);
    if (auto r = (*add)->Run(); !r) return r;
  }
  return {};
}

}  // namespace

std::string_view VisitKindName(VisitKind kind) {
  return kind == VisitKind::kInpatient ? "inpatient" : "outpatient";
}

std::optional<VisitKind> ParseVisitKind(std::string_view name) {
  if (name == "outpatient") return VisitKind::kOutpatient;
  if (name == "inpatient") return VisitKind::kInpatient;
  return std::nullopt;
}

struct VisitStore::Impl {
  std::mutex mutex;
  Connection db;
};

VisitStore::VisitStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VisitStore::~VisitStore() = default;

Result<std::unique_ptr<VisitStore>> VisitStore::Open(const std::filesystem::path& path,
                                                     const std::string& vfs) {
  auto db = catalog::sqlite::OpenDurable(path.string(), vfs, kMigrations, "visits");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return std::unique_ptr<VisitStore>(new VisitStore(std::move(impl)));
}

Result<void> VisitStore::Record(const Visit& v) {
  if (auto r = Validate(v); !r) return r;
  std::lock_guard lock(impl_->mutex);
  auto owner = impl_->db.Prepare(
      "SELECT patient_id, issuer FROM visits WHERE tenant = ?1 AND visit_id = ?2");
  if (!owner) return std::unexpected(owner.error());
  (*owner)->Bind(1, v.tenant).Bind(2, v.visit_id);
  auto existing = First<std::pair<std::string, std::string>>(
      **owner, [](Statement& s) { return std::pair(s.Text(0), s.Text(1)); });
  if (!existing) return std::unexpected(existing.error());
  if (*existing && **existing != std::pair(v.patient_id, v.issuer_of_patient_id)) {
    return Fail(ErrorCode::kConflict, "visit_id: this visit is another patient's");
  }
  // The visit and its orders together, or neither.
  if (auto r = impl_->db.Exec("BEGIN IMMEDIATE"); !r) return r;
  auto written = WriteVisit(impl_->db, v);
  if (!written) {
    (void)impl_->db.Exec("ROLLBACK");
    return written;
  }
  return impl_->db.Exec("COMMIT");
}

Result<std::optional<Visit>> VisitStore::Find(std::string_view tenant, std::string_view visit_id) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "SELECT patient_id, issuer, kind, visit_date, received_by FROM visits "
      "WHERE tenant = ?1 AND visit_id = ?2");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, tenant).Bind(2, visit_id);
  auto found = First<Visit>(**s, [&](Statement& st) {
    Visit v;
    v.tenant = std::string(tenant);
    v.visit_id = std::string(visit_id);
    v.patient_id = st.Text(0);
    v.issuer_of_patient_id = st.Text(1);
    v.kind = st.Text(2) == "inpatient" ? VisitKind::kInpatient : VisitKind::kOutpatient;
    v.date = st.Text(3);
    v.received_by = st.Text(4);
    return v;
  });
  if (!found || !*found) return found;
  auto a = impl_->db.Prepare(
      "SELECT accession FROM visit_accessions WHERE tenant = ?1 AND visit_id = ?2 "
      "ORDER BY accession");
  if (!a) return std::unexpected(a.error());
  (*a)->Bind(1, tenant).Bind(2, visit_id);
  auto accessions =
      catalog::sqlite::Collect<std::string>(**a, [](Statement& st) { return st.Text(0); });
  if (!accessions) return std::unexpected(accessions.error());
  (*found)->accessions = std::move(*accessions);
  return found;
}

Result<LastVisits> VisitStore::Last(std::string_view tenant, std::string_view patient_id,
                                    std::string_view issuer) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "SELECT kind, MAX(visit_date) FROM visits WHERE tenant = ?1 AND patient_id = ?2 "
      "AND (issuer = ?3 OR issuer = '') AND visit_date != '' GROUP BY kind");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, tenant).Bind(2, patient_id).Bind(3, issuer);
  auto rows = catalog::sqlite::Collect<std::pair<std::string, std::string>>(
      **s, [](Statement& st) { return std::pair(st.Text(0), st.Text(1)); });
  if (!rows) return std::unexpected(rows.error());
  LastVisits last;
  for (const auto& [kind, date] : *rows) {
    (kind == "inpatient" ? last.discharge : last.outpatient) = date;
  }
  return last;
}

}  // namespace cf::film
