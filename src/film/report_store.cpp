// SPDX-License-Identifier: Apache-2.0
#include "film/report_store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <mutex>

#include "catalog/sqlite_db.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "dicom/instance.hpp"

namespace cf::film {
namespace {

using catalog::sqlite::Collect;
using catalog::sqlite::Connection;
using catalog::sqlite::First;
using catalog::sqlite::Statement;

// Never edit a migration that has shipped: add a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE reports (
  pk         INTEGER PRIMARY KEY,
  public_id  TEXT NOT NULL UNIQUE,
  tenant     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  study_uid  TEXT NOT NULL DEFAULT '',
  accession  TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
);
CREATE INDEX reports_study ON reports (study_uid, tenant);
CREATE INDEX reports_accession ON reports (accession, tenant);

CREATE TABLE report_versions (
  report_pk   INTEGER NOT NULL REFERENCES reports (pk),
  version     INTEGER NOT NULL,
  status      TEXT NOT NULL,
  content     TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  pdf         BLOB,
  source      TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  received_by TEXT NOT NULL,
  PRIMARY KEY (report_pk, version)
) WITHOUT ROWID;
CREATE TRIGGER report_versions_append_only_update BEFORE UPDATE ON report_versions
BEGIN SELECT RAISE(ABORT, 'report versions are append-only'); END;
CREATE TRIGGER report_versions_append_only_delete BEFORE DELETE ON report_versions
BEGIN SELECT RAISE(ABORT, 'report versions are append-only'); END;
)sql",
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The stored canonical JSON back into content (it was written by
// CanonicalContent, so it is well-formed).
ReportContent ParseContent(const std::string& json, std::vector<std::byte> pdf,
                           std::string source) {
  ReportContent c;
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return c;
  c.status = ParseStatus(j.value("status", "")).value_or(ReportStatus::kPreliminary);
  for (const auto& s : j.value("sections", nlohmann::json::array())) {
    c.sections.push_back({s.value("title", ""), s.value("text", "")});
  }
  c.conclusion = j.value("conclusion", "");
  c.signer = j.value("signer", "");
  c.signed_at_ms = j.value("signed_at_ms", int64_t{0});
  c.key_images = j.value("key_images", std::vector<std::string>{});
  c.pdf = std::move(pdf);
  c.source = std::move(source);
  return c;
}

struct ReportRow {
  int64_t pk = 0;
  Report report;
};

}  // namespace

struct ReportStore::Impl {
  std::mutex mutex;  // one connection, one caller at a time
  Connection db;

  Result<std::optional<ReportRow>> FindRow(const catalog::Scope& scope, std::string_view id) {
    auto s = db.Prepare(
        "SELECT pk, public_id, tenant, kind, study_uid, accession FROM reports WHERE public_id = "
        "?1");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, id);
    auto row = First<ReportRow>(**s, ReadRow);
    if (!row) return std::unexpected(row.error());
    // A share's scope names studies: a report known only by accession is outside it.
    if (*row && !scope.Includes((*row)->report.tenant, (*row)->report.study_uid)) {
      return std::optional<ReportRow>();
    }
    return row;
  }

  static ReportRow ReadRow(const Statement& s) {
    ReportRow r;
    r.pk = s.Int(0);
    r.report.id = s.Text(1);
    r.report.tenant = s.Text(2);
    r.report.kind = ParseKind(s.Text(3)).value_or(ReportKind::kRadiology);
    r.report.study_uid = s.Text(4);
    r.report.accession = s.Text(5);
    return r;
  }

  Result<void> LoadVersions(ReportRow& row) {
    auto s = db.Prepare(
        "SELECT version, content, sha256, pdf, source, received_ms, received_by "
        "FROM report_versions WHERE report_pk = ?1 ORDER BY version");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, row.pk);
    auto versions = Collect<ReportVersion>(**s, [](const Statement& st) {
      ReportVersion v;
      v.version = static_cast<int>(st.Int(0));
      v.content = ParseContent(st.Text(1), st.Blob(3), st.Text(4));
      v.sha256_hex = st.Text(2);
      v.received_at_ms = st.Int(5);
      v.received_by = st.Text(6);
      return v;
    });
    if (!versions) return std::unexpected(versions.error());
    row.report.versions = std::move(*versions);
    return {};
  }

  Result<Report> SubmitLocked(const NewReportVersion& in);
};

ReportStore::ReportStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReportStore::~ReportStore() = default;

Result<std::unique_ptr<ReportStore>> ReportStore::Open(const ReportStoreOptions& options) {
  auto db =
      catalog::sqlite::OpenDurable(options.path.string(), options.vfs, kMigrations, "reports");
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return std::unique_ptr<ReportStore>(new ReportStore(std::move(impl)));
}

Result<Report> ReportStore::Submit(const NewReportVersion& in) {
  if (auto valid = ValidateContent(in.content); !valid) return std::unexpected(valid.error());
  if (in.report_id.empty() && in.study_uid.empty() && in.accession.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "name the exam: study_uid or accession (or the report's id)");
  }
  if (!in.study_uid.empty() && !dicom::IsValidUid(in.study_uid)) {
    return Fail(ErrorCode::kInvalidArgument, "study_uid is not a UID");
  }
  if (in.accession.size() > 64) return Fail(ErrorCode::kInvalidArgument, "accession is too long");
  std::lock_guard lock(impl_->mutex);
  if (auto r = impl_->db.Exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto done = impl_->SubmitLocked(in);
  if (!done) {
    (void)impl_->db.Exec("ROLLBACK");
    return done;
  }
  if (auto r = impl_->db.Exec("COMMIT"); !r) {
    (void)impl_->db.Exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  return done;
}

Result<Report> ReportStore::Impl::SubmitLocked(const NewReportVersion& in) {
  std::string canonical;
  try {
    canonical = CanonicalContent(in.content);
  } catch (const nlohmann::json::exception&) {
    return Fail(ErrorCode::kInvalidArgument, "the report's text is not valid UTF-8");
  }
  const std::string sha = crypto::ToHex(crypto::Sha256(AsBytes(canonical)));
  std::optional<ReportRow> row;
  if (!in.report_id.empty()) {
    auto found = FindRow(catalog::Scope::Of(in.tenant), in.report_id);
    if (!found) return std::unexpected(found.error());
    if (!*found) return Fail(ErrorCode::kNotFound, "unknown report");
    row = std::move(*found);
    const Report& r = row->report;
    if ((!in.study_uid.empty() && !r.study_uid.empty() && in.study_uid != r.study_uid) ||
        (!in.accession.empty() && !r.accession.empty() && in.accession != r.accession)) {
      return Fail(ErrorCode::kConflict, "the report belongs to another exam");
    }
  } else {
    auto s = db.Prepare(
        "SELECT pk, public_id, tenant, kind, study_uid, accession FROM reports "
        "WHERE tenant = ?1 AND kind = ?2 AND ((?3 != '' AND study_uid = ?3) OR "
        "(?4 != '' AND accession = ?4)) ORDER BY pk LIMIT 1");
    if (!s) return std::unexpected(s.error());
    (*s)->Bind(1, in.tenant).Bind(2, KindName(in.kind)).Bind(3, in.study_uid).Bind(4, in.accession);
    auto found = First<ReportRow>(**s, ReadRow);
    if (!found) return std::unexpected(found.error());
    row = std::move(*found);
  }

  const int64_t now = NowMs();
  int next = 1;
  if (row) {
    if (auto r = LoadVersions(*row); !r) return std::unexpected(r.error());
    if (!row->report.versions.empty()) {
      const ReportVersion& latest = row->report.versions.back();
      // The same version again (a retry after a lost answer) is no new version.
      if (latest.sha256_hex == sha && latest.content.pdf == in.content.pdf) return row->report;
      if (!MayFollow(latest.content.status, in.content.status)) {
        return Fail(ErrorCode::kConflict, "a " + std::string(StatusName(in.content.status)) +
                                              " version cannot follow a " +
                                              std::string(StatusName(latest.content.status)) +
                                              " one (amend a signed report instead)");
      }
      next = latest.version + 1;
    } else if (!MayFollow(std::nullopt, in.content.status)) {
      return Fail(ErrorCode::kConflict, "a report's first version cannot be an amendment");
    }
    // An exam first named by accession learns its UID, and the other way round.
    auto fill = db.Prepare(
        "UPDATE reports SET study_uid = CASE WHEN study_uid = '' THEN ?2 ELSE study_uid END, "
        "accession = CASE WHEN accession = '' THEN ?3 ELSE accession END WHERE pk = ?1");
    if (!fill) return std::unexpected(fill.error());
    (*fill)->Bind(1, row->pk).Bind(2, in.study_uid).Bind(3, in.accession);
    if (auto r = (*fill)->Run(); !r) return std::unexpected(r.error());
  } else {
    if (!MayFollow(std::nullopt, in.content.status)) {
      return Fail(ErrorCode::kConflict, "a report's first version cannot be an amendment");
    }
    auto add = db.Prepare(
        "INSERT INTO reports (public_id, tenant, kind, study_uid, accession, created_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!add) return std::unexpected(add.error());
    const std::string id = crypto::RandomHex(16);
    (*add)->Bind(1, id).Bind(2, in.tenant).Bind(3, KindName(in.kind)).Bind(4, in.study_uid);
    (*add)->Bind(5, in.accession).Bind(6, now);
    if (auto r = (*add)->Run(); !r) return std::unexpected(r.error());
    row = ReportRow{sqlite3_last_insert_rowid(db.get()), {}};
    row->report.id = id;
  }
  auto version = db.Prepare(
      "INSERT INTO report_versions (report_pk, version, status, content, sha256, pdf, source, "
      "received_ms, received_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!version) return std::unexpected(version.error());
  (*version)->Bind(1, row->pk).Bind(2, int64_t{next}).Bind(3, StatusName(in.content.status));
  (*version)->Bind(4, canonical).Bind(5, sha);
  if (in.content.pdf.empty()) {
    (*version)->BindNull(6);
  } else {
    (*version)->BindBlob(6, in.content.pdf);
  }
  (*version)->Bind(7, in.content.source).Bind(8, now).Bind(9, in.received_by);
  if (auto r = (*version)->Run(); !r) return std::unexpected(r.error());
  auto reread = FindRow(catalog::Scope::Of(in.tenant), row->report.id);
  if (!reread) return std::unexpected(reread.error());
  if (!*reread) return Fail(ErrorCode::kInternal, "report vanished");
  if (auto r = LoadVersions(**reread); !r) return std::unexpected(r.error());
  return std::move((*reread)->report);
}

Result<Report> ReportStore::Get(const catalog::Scope& scope, std::string_view report_id) {
  std::lock_guard lock(impl_->mutex);
  auto row = impl_->FindRow(scope, report_id);
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kNotFound, "unknown report");
  if (auto r = impl_->LoadVersions(**row); !r) return std::unexpected(r.error());
  return std::move((*row)->report);
}

Result<std::vector<Report>> ReportStore::Find(const ReportQuery& q) {
  if (q.study_uid.empty() && q.accession.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "name the exam: study or accession");
  }
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->db.Prepare(
      "SELECT pk, public_id, tenant, kind, study_uid, accession FROM reports "
      "WHERE ((?1 != '' AND study_uid = ?1) OR (?2 != '' AND accession = ?2)) "
      "AND (?3 = 1 OR tenant = ?4) ORDER BY pk LIMIT ?5");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, q.study_uid).Bind(2, q.accession).Bind(3, int64_t{q.scope.all() ? 1 : 0});
  (*s)->Bind(4, q.scope.tenant()).Bind(5, std::max<int64_t>(1, std::min<int64_t>(q.limit, 1000)));
  auto rows = Collect<ReportRow>(**s, Impl::ReadRow);
  if (!rows) return std::unexpected(rows.error());
  std::erase_if(*rows,
                [&](const ReportRow& row) { return !q.scope.IncludesStudy(row.report.study_uid); });
  std::vector<Report> out;
  for (auto& row : *rows) {
    if (auto r = impl_->LoadVersions(row); !r) return std::unexpected(r.error());
    out.push_back(std::move(row.report));
  }
  return out;
}

}  // namespace cf::film
