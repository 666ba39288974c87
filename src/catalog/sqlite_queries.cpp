// SPDX-License-Identifier: Apache-2.0
// Read side of the SQLite catalog. Every list is paginated; the WHERE clauses
// are built from fixed fragments (never from user text), so the number of
// distinct statements stays small and each is prepared once per connection.
#include <string>
#include <vector>

#include "catalog/sqlite_catalog_impl.hpp"

namespace cf::catalog::sqlite {
namespace {

// DICOM-style wildcards ('*', '?') to a LIKE pattern with '\' as escape.
std::string ToLikePattern(std::string_view wildcard) {
  std::string out;
  for (char c : wildcard) {
    if (c == '*') {
      out.push_back('%');
    } else if (c == '?') {
      out.push_back('_');
    } else {
      if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> SplitBackslash(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (!s.empty()) {
    const size_t end = s.find('\\', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// Collects values bound to numbered parameters as the WHERE clause grows.
struct Where {
  std::string sql = " WHERE 1 = 1";
  std::vector<std::string> text;

  std::string Next(std::string value) {
    text.push_back(std::move(value));
    return "?" + std::to_string(text.size());
  }
  void Bind(Statement& s) const {
    for (size_t i = 0; i < text.size(); ++i) s.Bind(static_cast<int>(i + 1), text[i]);
  }
};

// Matches a whole PN or any of its component groups ("alphabetic=ideographic=phonetic").
void AddNameMatch(Where& w, const std::string& column, const std::string& pattern) {
  const std::string p = w.Next(ToLikePattern(pattern));
  w.sql += " AND (" + column + " LIKE " + p + " ESCAPE '\\' OR " + column + " LIKE '%=' || " + p +
           " ESCAPE '\\')";
}

constexpr const char* kStudyColumns =
    "st.study_uid, pa.patient_id, pa.issuer, pa.name, pa.birth_date, pa.sex, st.study_date, "
    "st.study_time, st.accession, st.study_id, st.description, st.referring, st.modalities, "
    "st.num_series, st.num_instances, st.updated_at";

StudyRecord ReadStudy(const Statement& s) {
  StudyRecord r;
  r.study_instance_uid = s.Text(0);
  r.patient_id = s.Text(1);
  r.issuer_of_patient_id = s.Text(2);
  r.patient_name = s.Text(3);
  r.patient_birth_date = s.Text(4);
  r.patient_sex = s.Text(5);
  r.study_date = s.Text(6);
  r.study_time = s.Text(7);
  r.accession_number = s.Text(8);
  r.study_id = s.Text(9);
  r.study_description = s.Text(10);
  r.referring_physician_name = s.Text(11);
  r.modalities = SplitBackslash(s.Text(12));
  r.num_series = s.Int(13);
  r.num_instances = s.Int(14);
  r.updated_at_ms = s.Int(15);
  return r;
}

constexpr const char* kInstanceColumns =
    "i.sop_uid, i.sop_class, se.series_uid, st.study_uid, i.instance_number, i.transfer_syntax, "
    "i.rows, i.columns, i.frames, i.version, i.sha256, i.size, i.blob_key, i.stored_size, "
    "i.source, "
    "i.received_at";
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

template <class T, class ReadRow>
Result<std::vector<T>> Collect(Statement& s, ReadRow read_row) {
  std::vector<T> out;
  for (;;) {
    auto row = s.Step();
    if (!row) {
      s.Reset();
      return std::unexpected(row.error());
    }
    if (!*row) break;
    out.push_back(read_row(s));
  }
  s.Reset();
  return out;
}

Result<int64_t> Count(Connection& db, const std::string& sql, const Where& where) {
  auto s = db.Prepare(sql);
  if (!s) return std::unexpected(s.error());
  where.Bind(**s);
  auto row = (*s)->Step();
  if (!row) return std::unexpected(row.error());
  const int64_t n = *row ? (*s)->Int(0) : 0;
  (*s)->Reset();
  return n;
}

std::string LimitClause(int64_t limit, int64_t offset) {
  return " LIMIT " + std::to_string(std::max<int64_t>(0, limit)) + " OFFSET " +
         std::to_string(std::max<int64_t>(0, offset));
}

}  // namespace

Result<Totals> SqliteCatalog::GetTotals() {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM studies), "
      "(SELECT count(*) FROM series), "
      "(SELECT value FROM counters WHERE name = 'instances'), "
      "(SELECT value FROM counters WHERE name = 'instance_versions'), "
      "(SELECT value FROM counters WHERE name = 'bytes_received'), "
      "(SELECT value FROM counters WHERE name = 'bytes_stored')");
  if (!s) return std::unexpected(s.error());
  auto row = (*s)->Step();
  if (!row) return std::unexpected(row.error());
  Totals t;
  t.patients = (*s)->Int(0);
  t.studies = (*s)->Int(1);
  t.series = (*s)->Int(2);
  t.instances = (*s)->Int(3);
  t.instance_versions = (*s)->Int(4);
  t.bytes_received = static_cast<uint64_t>((*s)->Int(5));
  t.bytes_stored = static_cast<uint64_t>((*s)->Int(6));
  (*s)->Reset();
  return t;
}

Result<std::vector<Catalog::UnexaminedBlob>> SqliteCatalog::FindUnexamined(
    int64_t after_pk, int limit, int64_t received_before_ms) {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT pk, blob_key, sha256, size FROM instances "
      "WHERE stored_form = 0 AND pk > ?1 AND received_at <= ?3 ORDER BY pk LIMIT ?2");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, after_pk).Bind(2, int64_t{limit}).Bind(3, received_before_ms);
  std::vector<UnexaminedBlob> out;
  for (;;) {
    auto row = (*s)->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(
        {(*s)->Int(0), (*s)->Text(1), (*s)->Text(2), static_cast<uint64_t>((*s)->Int(3))});
  }
  (*s)->Reset();
  return out;
}

Result<std::vector<ModalityUsage>> SqliteCatalog::UsageByModality() {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT se.modality, count(*), sum(i.size), sum(i.stored_size) "
      "FROM instances i JOIN series se ON se.pk = i.series_pk "
      "GROUP BY se.modality ORDER BY sum(i.size) DESC");
  if (!s) return std::unexpected(s.error());
  std::vector<ModalityUsage> out;
  for (;;) {
    auto row = (*s)->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    ModalityUsage u;
    u.modality = (*s)->Text(0);
    u.instance_versions = (*s)->Int(1);
    u.bytes_received = static_cast<uint64_t>((*s)->Int(2));
    u.bytes_stored = static_cast<uint64_t>((*s)->Int(3));
    out.push_back(std::move(u));
  }
  (*s)->Reset();
  return out;
}

Result<Page<PatientRecord>> SqliteCatalog::FindPatients(const PatientQuery& q) {
  auto db = Borrow();
  Where w;
  if (!q.patient_id.empty()) w.sql += " AND pa.patient_id = " + w.Next(q.patient_id);
  if (!q.patient_name.empty()) AddNameMatch(w, "pa.name", q.patient_name);
  Page<PatientRecord> page;
  auto total = Count(*db, "SELECT count(*) FROM patients pa" + w.sql, w);
  if (!total) return std::unexpected(total.error());
  page.total = *total;
  auto s = db->Prepare(
      "SELECT pa.patient_id, pa.issuer, pa.name, pa.birth_date, pa.sex, "
      "(SELECT count(*) FROM studies st WHERE st.patient_pk = pa.pk) FROM patients pa" +
      w.sql + " ORDER BY pa.name, pa.patient_id" + LimitClause(q.limit, q.offset));
  if (!s) return std::unexpected(s.error());
  w.Bind(**s);
  auto items = Collect<PatientRecord>(**s, [](const Statement& st) {
    return PatientRecord{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int(5)};
  });
  if (!items) return std::unexpected(items.error());
  page.items = std::move(*items);
  return page;
}

Result<Page<StudyRecord>> SqliteCatalog::FindStudies(const StudyQuery& q) {
  auto db = Borrow();
  Where w;
  if (!q.patient_id.empty()) w.sql += " AND pa.patient_id = " + w.Next(q.patient_id);
  if (!q.patient_name.empty()) AddNameMatch(w, "pa.name", q.patient_name);
  if (!q.study_date_from.empty()) w.sql += " AND st.study_date >= " + w.Next(q.study_date_from);
  if (!q.study_date_to.empty()) w.sql += " AND st.study_date <= " + w.Next(q.study_date_to);
  if (!q.accession_number.empty()) w.sql += " AND st.accession = " + w.Next(q.accession_number);
  if (!q.study_instance_uid.empty()) w.sql += " AND st.study_uid = " + w.Next(q.study_instance_uid);
  if (!q.modality.empty()) {
    w.sql += " AND EXISTS (SELECT 1 FROM series se WHERE se.study_pk = st.pk AND se.modality = " +
             w.Next(q.modality) + ")";
  }
  const std::string from = " FROM studies st JOIN patients pa ON pa.pk = st.patient_pk";
  Page<StudyRecord> page;
  auto total = Count(*db, "SELECT count(*)" + from + w.sql, w);
  if (!total) return std::unexpected(total.error());
  page.total = *total;
  auto s = db->Prepare(std::string("SELECT ") + kStudyColumns + from + w.sql +
                       " ORDER BY st.study_date DESC, st.study_time DESC, st.pk DESC" +
                       LimitClause(q.limit, q.offset));
  if (!s) return std::unexpected(s.error());
  w.Bind(**s);
  auto items = Collect<StudyRecord>(**s, ReadStudy);
  if (!items) return std::unexpected(items.error());
  page.items = std::move(*items);
  return page;
}

Result<StudyRecord> SqliteCatalog::GetStudy(std::string_view study_uid) {
  auto db = Borrow();
  auto s = db->Prepare(std::string("SELECT ") + kStudyColumns +
                       " FROM studies st JOIN patients pa ON pa.pk = st.patient_pk "
                       "WHERE st.study_uid = ?1");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, study_uid);
  auto items = Collect<StudyRecord>(**s, ReadStudy);
  if (!items) return std::unexpected(items.error());
  if (items->empty()) return Fail(ErrorCode::kNotFound, "unknown study");
  return std::move(items->front());
}

Result<std::vector<SeriesRecord>> SqliteCatalog::ListSeries(std::string_view study_uid) {
  auto db = Borrow();
  auto s = db->Prepare(
      "SELECT se.series_uid, st.study_uid, se.modality, se.series_number, se.description, "
      "se.body_part, se.num_instances, se.series_date, se.series_time, se.pps_start_date, "
      "se.pps_start_time FROM series se JOIN studies st ON st.pk = se.study_pk "
      "WHERE st.study_uid = ?1 ORDER BY se.series_number IS NULL, se.series_number, se.pk");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, study_uid);
  return Collect<SeriesRecord>(**s, [](const Statement& st) {
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
    return r;
  });
}

Result<std::vector<InstanceRecord>> SqliteCatalog::ListInstances(std::string_view series_uid) {
  auto db = Borrow();
  auto s =
      db->Prepare(std::string("SELECT ") + kInstanceColumns + kInstanceJoins +
                  " WHERE se.series_uid = ?1 "
                  "ORDER BY i.instance_number IS NULL, i.instance_number, i.sop_uid, i.version");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, series_uid);
  return Collect<InstanceRecord>(**s, ReadInstance);
}

Result<std::vector<InstanceRecord>> SqliteCatalog::GetInstanceVersions(std::string_view sop_uid) {
  auto db = Borrow();
  auto s = db->Prepare(std::string("SELECT ") + kInstanceColumns + kInstanceJoins +
                       " WHERE i.sop_uid = ?1 ORDER BY i.version");
  if (!s) return std::unexpected(s.error());
  (*s)->Bind(1, sop_uid);
  auto items = Collect<InstanceRecord>(**s, ReadInstance);
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
        return std::pair{st.Int(16), ReadInstance(st)};
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

}  // namespace cf::catalog::sqlite
