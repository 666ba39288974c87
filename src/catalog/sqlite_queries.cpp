// SPDX-License-Identifier: Apache-2.0
// Read side of the SQLite catalog besides Search (sqlite_search.cpp): the
// JSON API's lists and GetStudy go through Search; what is left are plain
// lookups by key, each a fixed statement prepared once per connection.
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/sqlite_catalog_impl.hpp"
#include "core/json_text.hpp"

namespace cf::catalog::sqlite {
namespace {

constexpr const char* kInstanceColumns =
    "i.sop_uid, i.sop_class, se.series_uid, st.study_uid, i.instance_number, i.transfer_syntax, "
    "i.rows, i.columns, i.frames, i.version, i.sha256, i.size, i.blob_key, i.stored_size, "
    "i.source, "
    "i.received_at, i.tenant_pk";
constexpr const char* kInstanceJoins =
    " FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = "
    "se.study_pk";

InstanceRecord ReadInstance(const Statement& s) {
  InstanceRecord r;
  r.sop_instance_uid = s.Text(0);
  r.sop_class_uid = s.Text(1);
  r.series_instance_uid = s.Text(2);
  r.study_instance_uid = s.Text(3);
  r.instance_number = s.OptInt(4);
  r.transfer_syntax_uid = s.Text(5);
  r.rows = s.OptInt(6);
  r.columns = s.OptInt(7);
  r.number_of_frames = s.OptInt(8);
  r.version = static_cast<int>(s.Int(9));
  r.sha256_hex = s.Text(10);
  r.size = static_cast<uint64_t>(s.Int(11));
  r.blob_key = s.Text(12);
  r.stored_size = static_cast<uint64_t>(s.Int(13));
  r.source = s.Text(14);
  r.received_at_ms = s.Int(15);
  return r;
}

// Lookups across every tenant find one tenant's rows or fail: a UID that
// two hospitals both sent names two different things. Rows come as
// (tenant pk, record), ordered by tenant.
template <class T>
Result<std::vector<T>> OneTenantOnly(std::vector<std::pair<int64_t, T>> rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (auto& [tenant_pk, item] : rows) {
    if (tenant_pk != rows.front().first) {
      return Fail(ErrorCode::kConflict,
                  "this UID is stored by more than one hospital; ask within one "
                  "(X-Cloudfilm-Tenant)");
    }
    out.push_back(std::move(item));
  }
  return out;
}

// A restricted scope (a share) drops the instances of other studies; the
// instance's own study is what counts, whatever UID the caller looked up.
void OnlyScopeStudies(const Scope& scope, std::vector<std::pair<int64_t, InstanceRecord>>& rows) {
  if (!scope.restricted()) return;
  std::erase_if(
      rows, [&](const auto& row) { return !scope.IncludesStudy(row.second.study_instance_uid); });
}

// patients, studies, series, instances, instance versions, bytes received
// and stored, in that order (a NULL, no counters row yet, reads as 0).
Totals ReadTotals(const Statement& st) {
  Totals t;
  t.patients = st.Int(0);
  t.studies = st.Int(1);
  t.series = st.Int(2);
  t.instances = st.Int(3);
  t.instance_versions = st.Int(4);
  t.bytes_received = static_cast<uint64_t>(st.Int(5));
  t.bytes_stored = static_cast<uint64_t>(st.Int(6));
  return t;
}

}  // namespace

Result<Totals> SqliteCatalog::GetTotals() {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM studies), "
      "(SELECT count(*) FROM series), coalesce(sum(instances), 0), "
      "coalesce(sum(instance_versions), 0), coalesce(sum(bytes_received), 0), "
      "coalesce(sum(bytes_stored), 0) FROM tenant_counters");
  if (!s) return std::unexpected(s.error());
  auto row = First<Totals>(**s, ReadTotals);
  if (!row) return std::unexpected(row.error());
  return row->value_or(Totals{});
}

Result<Totals> SqliteCatalog::GetTenantTotals(std::string_view tenant) {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT (SELECT count(*) FROM patients WHERE tenant_pk = t.pk), "
      "(SELECT count(*) FROM studies WHERE tenant_pk = t.pk), "
      "(SELECT count(*) FROM series WHERE tenant_pk = t.pk), "
      "c.instances, c.instance_versions, c.bytes_received, c.bytes_stored "
      "FROM tenants t LEFT JOIN tenant_counters c ON c.tenant_pk = t.pk WHERE t.code = ?1");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, tenant);
  auto row = First<Totals>(**s, ReadTotals);
  if (!row) return std::unexpected(row.error());
  return row->value_or(Totals{});  // a hospital that never stored anything: zeros
}

Result<std::vector<Catalog::UnexaminedBlob>> SqliteCatalog::FindUnexamined(
    int64_t after_pk, int limit, int64_t received_before_ms) {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT pk, blob_key, sha256, size FROM instances "
      "WHERE stored_form = 0 AND pk > ?1 AND received_at <= ?3 ORDER BY pk LIMIT ?2");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, after_pk).Bind(2, int64_t{limit}).Bind(3, received_before_ms);
  return Collect<UnexaminedBlob>(**s, [](const Statement& st) {
    return UnexaminedBlob{st.Int(0), st.Text(1), st.Text(2), static_cast<uint64_t>(st.Int(3))};
  });
}

Result<std::vector<Catalog::StoredBlob>> SqliteCatalog::ListBlobs(int64_t after_pk, int limit) {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT pk, blob_key, stored_size, stored_form, sha256 FROM instances WHERE pk > ?1 "
      "ORDER BY pk LIMIT ?2");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, after_pk).Bind(2, int64_t{limit});
  return Collect<StoredBlob>(**s, [](const Statement& st) {
    return StoredBlob{st.Int(0), st.Text(1), static_cast<uint64_t>(st.Int(2)),
                      static_cast<StoredForm>(st.Int(3)), st.Text(4)};
  });
}

Result<std::vector<ModalityUsage>> SqliteCatalog::UsageByModality(const Scope& scope) {
  auto db = Borrow();
  // A hospital's: its series, then their instances (series_pk is indexed).
  auto s = db->Prepare(
      "SELECT se.modality, count(*), sum(i.size), sum(i.stored_size) "
      "FROM series se JOIN instances i ON i.series_pk = se.pk "
      "WHERE ?1 OR se.tenant_pk = (SELECT pk FROM tenants WHERE code = ?2) "
      "GROUP BY se.modality ORDER BY sum(i.size) DESC");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, int64_t{scope.all() ? 1 : 0}).Bind(2, scope.tenant());
  return Collect<ModalityUsage>(**s, [](const Statement& st) {
    ModalityUsage u;
    u.modality = st.Text(0);
    u.instance_versions = st.Int(1);
    u.bytes_received = static_cast<uint64_t>(st.Int(2));
    u.bytes_stored = static_cast<uint64_t>(st.Int(3));
    return u;
  });
}

// The JSON API's patient and study lists are searches of the query model
// (query.hpp), so that they match names, dates and modalities exactly as
// QIDO-RS and C-FIND do.
namespace {

void AddCondition(Query& query, QueryAttr attr, const std::string& value) {
  if (!value.empty()) query.conditions.push_back({attr, value});
}

// Search with the page's limit; a limit of 0 asks for the total alone
// (Search reads 0 as "no limit").
Result<Page<QueryMatch>> SearchPage(SqliteCatalog& catalog, Query query, int64_t limit,
                                    int64_t offset) {
  query.count_total = true;
  query.limit = std::max<int64_t>(limit, 1);
  query.offset = std::max<int64_t>(offset, 0);
  auto page = catalog.Search(query);
  if (page && limit <= 0) page->items.clear();
  return page;
}

}  // namespace

Result<Page<PatientRecord>> SqliteCatalog::FindPatients(const PatientQuery& q) {
  Query query{q.scope};
  query.level = QueryLevel::kPatient;
  AddCondition(query, QueryAttr::kPatientId, q.patient_id);
  AddCondition(query, QueryAttr::kPatientName, q.patient_name);
  auto found = SearchPage(*this, std::move(query), q.limit, q.offset);
  if (!found) return std::unexpected(found.error());
  Page<PatientRecord> page;
  page.total = found->total;
  for (auto& m : found->items) page.items.push_back(std::move(m.patient));
  return page;
}

Result<Page<StudyRecord>> SqliteCatalog::FindStudies(const StudyQuery& q) {
  Query query{q.scope};
  query.level = QueryLevel::kStudy;
  AddCondition(query, QueryAttr::kPatientId, q.patient_id);
  AddCondition(query, QueryAttr::kPatientName, q.patient_name);
  AddCondition(query, QueryAttr::kAccessionNumber, q.accession_number);
  AddCondition(query, QueryAttr::kStudyInstanceUid, q.study_instance_uid);
  AddCondition(query, QueryAttr::kModalitiesInStudy, q.modality);
  if (!q.study_date_from.empty() || !q.study_date_to.empty()) {
    AddCondition(query, QueryAttr::kStudyDate, q.study_date_from + "-" + q.study_date_to);
  }
  auto found = SearchPage(*this, std::move(query), q.limit, q.offset);
  if (!found) return std::unexpected(found.error());
  Page<StudyRecord> page;
  page.total = found->total;
  for (auto& m : found->items) page.items.push_back(std::move(m.study));
  return page;
}

Result<StudyRecord> SqliteCatalog::GetStudy(const Scope& scope, std::string_view study_uid) {
  Query query{scope};
  query.conditions.push_back({QueryAttr::kStudyInstanceUid, std::string(study_uid)});
  query.limit = 2;  // a second match: two tenants, when the scope is all of them
  auto found = Search(query);
  // A malformed UID names no study either.
  if (!found && found.error().code != ErrorCode::kInvalidArgument) {
    return std::unexpected(found.error());
  }
  if (!found || found->items.empty()) return Fail(ErrorCode::kNotFound, "unknown study");
  if (found->items.size() > 1) {
    return Fail(ErrorCode::kConflict,
                "this UID is stored by more than one hospital; ask within one "
                "(X-Cloudfilm-Tenant)");
  }
  return std::move(found->items.front().study);
}

Result<std::vector<SeriesRecord>> SqliteCatalog::ListSeries(const Scope& scope,
                                                            std::string_view study_uid) {
  if (!scope.IncludesStudy(study_uid)) return std::vector<SeriesRecord>();
  auto db = Borrow();
  auto tenant_pk = ScopePk(*db, scope);
  if (!tenant_pk) return std::unexpected(tenant_pk.error());
  if (!*tenant_pk) return std::vector<SeriesRecord>();
  auto s = db->Prepare(
      "SELECT se.series_uid, st.study_uid, se.modality, se.series_number, se.description, "
      "se.body_part, se.num_instances, se.series_date, se.series_time, se.pps_start_date, "
      "se.pps_start_time, st.tenant_pk FROM series se JOIN studies st ON st.pk = se.study_pk "
      "WHERE st.study_uid = ?1 AND (?2 = 0 OR st.tenant_pk = ?2) ORDER BY st.tenant_pk, " +
      SeriesOrder("se"));
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, study_uid).Bind(2, **tenant_pk);
  auto rows = Collect<std::pair<int64_t, SeriesRecord>>(**s, [](const Statement& st) {
    SeriesRecord r;
    r.series_instance_uid = st.Text(0);
    r.study_instance_uid = st.Text(1);
    r.modality = st.Text(2);
    r.series_number = st.OptInt(3);
    r.series_description = st.Text(4);
    r.body_part_examined = st.Text(5);
    r.num_instances = st.Int(6);
    r.series_date = st.Text(7);
    r.series_time = st.Text(8);
    r.performed_procedure_step_start_date = st.Text(9);
    r.performed_procedure_step_start_time = st.Text(10);
    return std::pair{st.Int(11), std::move(r)};
  });
  if (!rows) return std::unexpected(rows.error());
  return OneTenantOnly(std::move(*rows));
}

Result<std::vector<std::optional<InstanceRecord>>> SqliteCatalog::FirstInstances(
    QueryLevel level, std::span<const TenantUid> parents) {
  if (level != QueryLevel::kStudy && level != QueryLevel::kSeries) {
    return Fail(ErrorCode::kInvalidArgument, "first instances of studies or series only");
  }
  // The unique (UID, tenant) index finds the parent, then the order
  // indexes of schema 9 its first series and instance: no sort, however
  // many instances the study holds.
  static const std::string kOfStudy =
      std::string("SELECT ") + kInstanceColumns + kInstanceJoins +
      " WHERE i.pk = (SELECT i2.pk FROM studies s2 JOIN series se2 ON se2.study_pk = s2.pk "
      "JOIN instances i2 ON i2.series_pk = se2.pk "
      "WHERE s2.study_uid = ?1 AND s2.tenant_pk = ?2 AND i2.version = 1 ORDER BY " +
      SeriesOrder("se2") + ", " + InstanceOrder("i2") + " LIMIT 1)";
  static const std::string kOfSeries =
      std::string("SELECT ") + kInstanceColumns + kInstanceJoins +
      " WHERE i.pk = (SELECT i2.pk FROM series se2 JOIN instances i2 ON i2.series_pk = se2.pk "
      "WHERE se2.series_uid = ?1 AND se2.tenant_pk = ?2 AND i2.version = 1 ORDER BY " +
      InstanceOrder("i2") + " LIMIT 1)";
  auto db = Borrow();
  auto s = db->Prepare(level == QueryLevel::kStudy ? kOfStudy : kOfSeries);
  if (!s) return std::unexpected(s.error());
  std::vector<std::optional<InstanceRecord>> out;
  out.reserve(parents.size());
  for (const auto& parent : parents) {
    auto tenant_pk = ScopePk(*db, Scope::Of(parent.tenant));
    if (!tenant_pk) return std::unexpected(tenant_pk.error());
    if (!*tenant_pk) {
      out.emplace_back();  // a tenant that has stored nothing
      continue;
    }
    (*s)->Bind(1, parent.uid).Bind(2, **tenant_pk);
    auto first = First<InstanceRecord>(**s, ReadInstance);
    if (!first) return std::unexpected(first.error());
    out.push_back(std::move(*first));
  }
  return out;
}

Result<std::vector<InstanceRecord>> SqliteCatalog::ListInstances(const Scope& scope,
                                                                 std::string_view series_uid) {
  auto db = Borrow();
  auto tenant_pk = ScopePk(*db, scope);
  if (!tenant_pk) return std::unexpected(tenant_pk.error());
  if (!*tenant_pk) return std::vector<InstanceRecord>();
  auto s = db->Prepare(std::string("SELECT ") + kInstanceColumns + kInstanceJoins +
                       " WHERE se.series_uid = ?1 AND (?2 = 0 OR se.tenant_pk = ?2) "
                       "ORDER BY i.tenant_pk, " +
                       InstanceOrder("i"));
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, series_uid).Bind(2, **tenant_pk);
  auto rows = Collect<std::pair<int64_t, InstanceRecord>>(**s, [](const Statement& st) {
    return std::pair{st.Int(16), ReadInstance(st)};
  });
  if (!rows) return std::unexpected(rows.error());
  OnlyScopeStudies(scope, *rows);
  return OneTenantOnly(std::move(*rows));
}

Result<std::vector<InstanceRecord>> SqliteCatalog::GetInstanceVersions(const Scope& scope,
                                                                       std::string_view sop_uid) {
  auto db = Borrow();
  auto tenant_pk = ScopePk(*db, scope);
  if (!tenant_pk) return std::unexpected(tenant_pk.error());
  if (!*tenant_pk) return Fail(ErrorCode::kNotFound, "unknown instance");
  auto s = db->Prepare(std::string("SELECT ") + kInstanceColumns + kInstanceJoins +
                       " WHERE i.sop_uid = ?1 AND (?2 = 0 OR i.tenant_pk = ?2) "
                       "ORDER BY i.tenant_pk, i.version");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, sop_uid).Bind(2, **tenant_pk);
  auto rows = Collect<std::pair<int64_t, InstanceRecord>>(**s, [](const Statement& st) {
    return std::pair{st.Int(16), ReadInstance(st)};
  });
  if (!rows) return std::unexpected(rows.error());
  OnlyScopeStudies(scope, *rows);
  auto items = OneTenantOnly(std::move(*rows));
  if (!items) return std::unexpected(items.error());
  if (items->empty()) return Fail(ErrorCode::kNotFound, "unknown instance");
  return items;
}

Result<void> SqliteCatalog::ForEachInstance(
    const std::function<bool(const InstanceRecord&)>& visit) {
  // Pages by primary key so that no read transaction stays open for the whole walk.
  int64_t after = 0;
  constexpr int kPage = 1000;
  for (;;) {
    std::vector<std::pair<int64_t, InstanceRecord>> rows;
    {
      auto db = Borrow();
      auto s = db->Prepare(std::string("SELECT ") + kInstanceColumns + ", i.pk" + kInstanceJoins +
                           " WHERE i.pk > ?1 ORDER BY i.pk LIMIT " + std::to_string(kPage));
      if (!s) return std::unexpected(s.error());
      (*s)->Bind(1, after);
      auto items = Collect<std::pair<int64_t, InstanceRecord>>(**s, [](const Statement& st) {
        return std::pair{st.Int(17), ReadInstance(st)};
      });
      if (!items) return std::unexpected(items.error());
      rows = std::move(*items);
    }
    for (const auto& [pk, rec] : rows) {
      if (!visit(rec)) return {};
      after = pk;
    }
    if (rows.size() < kPage) return {};
  }
}

Result<bool> SqliteCatalog::HasBlob(std::string_view blob_key) {
  auto db = Borrow();
  auto s = db->Prepare("SELECT 1 FROM instances WHERE blob_key = ?1 LIMIT 1");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, blob_key);
  auto row = (*s)->Step();
  if (!row) return std::unexpected(row.error());
  const bool found = *row;
  (*s)->Reset();
  return found;
}

Result<std::vector<std::optional<Bytes>>> SqliteCatalog::InstanceHeaders(
    std::span<const std::string_view> blob_keys) {
  std::vector<std::optional<Bytes>> headers(blob_keys.size());
  if (blob_keys.empty()) return headers;
  // The keys go in as one JSON array, so that one prepared statement serves
  // any number of them.
  std::string keys = "[";
  std::unordered_multimap<std::string_view, size_t> position;
  position.reserve(blob_keys.size());
  for (size_t i = 0; i < blob_keys.size(); ++i) {
    if (i > 0) keys += ',';
    AppendJsonString(keys, blob_keys[i]);
    position.emplace(blob_keys[i], i);
  }
  keys += ']';
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT i.blob_key, h.header FROM instances i JOIN instance_headers h ON h.instance_pk = "
      "i.pk WHERE i.blob_key IN (SELECT value FROM json_each(?1))");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, keys);
  for (;;) {
    auto row = (*s)->Step();
    if (!row) {
      (*s)->Reset();
      return std::unexpected(row.error());
    }
    if (!*row) break;
    const std::string key = (*s)->Text(0);
    const auto [first, last] = position.equal_range(key);
    for (auto it = first; it != last; ++it) headers[it->second] = (*s)->Blob(1);
  }
  (*s)->Reset();
  return headers;
}

}  // namespace cf::catalog::sqlite
