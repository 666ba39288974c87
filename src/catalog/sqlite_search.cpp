// SPDX-License-Identifier: Apache-2.0
// SqliteCatalog::Search: the query model of query.hpp as SQL. The statement
// text is built only from fixed fragments chosen by attribute and matching
// type; every value is a bound parameter (or, for validated integers, a
// literal), so user text never becomes SQL.
#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "catalog/sqlite_catalog_impl.hpp"

namespace cf::catalog::sqlite {
namespace {

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    out.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool HasWildcard(std::string_view v) { return v.find_first_of("*?") != std::string_view::npos; }

// '*' and '?' to LIKE's '%' and '_', with '\' escaping LIKE's own specials.
std::string LikePattern(std::string_view wildcard) {
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

// '*' and '?' are GLOB's own; only '[' needs escaping. GLOB is case-sensitive,
// as PS3.4 wants for text other than person names.
std::string GlobPattern(std::string_view wildcard) {
  std::string out;
  for (char c : wildcard) {
    if (c == '[') {
      out += "[[]";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The smallest string greater than every string that starts with `prefix`
// (UTF-8 never holds 0xFF, so bumping the last byte is enough).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty())
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

class SqlBuilder {
 public:
  std::string where = " WHERE 1 = 1";

  std::string Param(std::string value) {
    values_.push_back(std::move(value));
    return "?" + std::to_string(values_.size());
  }
  void Bind(Statement& s) const {
    for (size_t i = 0; i < values_.size(); ++i) s.Bind(static_cast<int>(i + 1), values_[i]);
  }

  void And(const std::string& clause) { where += " AND (" + clause + ")"; }

  std::string InList(const std::vector<std::string>& values) {
    std::string list;
    for (const auto& v : values) {
      if (!list.empty()) list += ", ";
      list += Param(v);
    }
    return "(" + list + ")";
  }

 private:
  std::vector<std::string> values_;
};

void MatchUids(SqlBuilder& b, const std::string& column, const std::string& value) {
  const auto uids = Split(value, '\\');
  if (uids.size() == 1) {
    b.And(column + " = " + b.Param(uids[0]));
  } else {
    b.And(column + " IN " + b.InList(uids));
  }
}

// Single value, list of values ("CT\MR") or wildcards; case-sensitive.
void MatchText(SqlBuilder& b, const std::string& column, const std::string& value) {
  if (HasWildcard(value)) {
    b.And(column + " GLOB " + b.Param(GlobPattern(value)));
    return;
  }
  const auto values = Split(value, '\\');
  if (values.size() == 1) {
    b.And(column + " = " + b.Param(values[0]));
  } else {
    b.And(column + " IN " + b.InList(values));
  }
}

// The whole name or any one of its component groups, case-insensitively.
void MatchPersonName(SqlBuilder& b, const std::string& column, const std::string& value) {
  const std::string p = b.Param(LikePattern(value));
  b.And(column + " LIKE " + p + " ESCAPE '\\' OR ('=' || " + column + " || '=') LIKE ('%=' || " +
        p + " || '=%') ESCAPE '\\'");
}

// A patient name matched by wildcards or exactly starts, in some group,
// with the value's literal prefix; that prefix up to the first separator
// starts one of the name's words. Looking those up in patient_name_words
// first narrows the match to an index range instead of a scan of every
// patient (the LIKE still decides).
void NarrowByNameWords(SqlBuilder& b, const std::string& value) {
  std::string prefix;
  for (char c : value) {
    if (c == '*' || c == '?' || c == '^' || c == '=' || c == ' ') break;
    prefix.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  if (prefix.empty()) return;
  b.And("pa.pk IN (SELECT patient_pk FROM patient_name_words WHERE word >= " + b.Param(prefix) +
        " AND word < " + b.Param(PrefixEnd(prefix)) + ")");
}

// Every word of the query starts a word of the name (patient_name_words).
void MatchNameFuzzy(SqlBuilder& b, const std::string& value) {
  std::string cleaned;
  for (char c : value) {
    if (c == '*' || c == '?') continue;
    cleaned.push_back(c == '^' || c == '=' || c == ',' ? ' ' : c);
  }
  for (const auto& word : Split(cleaned, ' ')) {
    if (word.empty()) continue;
    std::string upper = word;
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    b.And("pa.pk IN (SELECT patient_pk FROM patient_name_words WHERE word >= " + b.Param(upper) +
          " AND word < " + b.Param(PrefixEnd(upper)) + ")");
  }
}

// "from-to", "from-", "-to" or a single value; bounds are inclusive, and an
// upper bound also takes every value it prefixes ("-1200" includes "120030",
// "20260110" all of that day). Written as plain comparisons against the
// bound and the first string past its prefix, so that the index on the
// column serves both ends.
void MatchRange(SqlBuilder& b, const std::string& column, const std::string& value) {
  const auto dash = value.find('-');
  const std::string from = dash == std::string::npos ? value : value.substr(0, dash);
  const std::string to = dash == std::string::npos ? value : value.substr(dash + 1);
  if (!from.empty()) b.And(column + " >= " + b.Param(from));
  if (!to.empty()) b.And(column + " < " + b.Param(PrefixEnd(to)));
  // An empty value never lies in a range.
  b.And(column + " <> ''");
}

void MatchIntegers(SqlBuilder& b, const std::string& column, const std::string& value) {
  std::string list;
  for (const auto& item : Split(value, '\\')) {
    long long n = 0;
    const char* first = item.data() + (!item.empty() && item[0] == '+' ? 1 : 0);
    std::from_chars(first, item.data() + item.size(), n);  // validated by ValidateQuery
    if (!list.empty()) list += ", ";
    list += std::to_string(n);
  }
  b.And(column + " IN (" + list + ")");
}

void AddCondition(SqlBuilder& b, const QueryCondition& c, bool fuzzy) {
  const std::string& v = c.value;
  switch (c.attr) {
    case QueryAttr::kPatientId:
      return MatchText(b, "pa.patient_id", v);
    case QueryAttr::kIssuerOfPatientId:
      return MatchText(b, "pa.issuer", v);
    case QueryAttr::kPatientName:
      if (fuzzy) return MatchNameFuzzy(b, v);
      NarrowByNameWords(b, v);
      return MatchPersonName(b, "pa.name", v);
    case QueryAttr::kPatientBirthDate:
      return MatchRange(b, "pa.birth_date", v);
    case QueryAttr::kPatientSex:
      return MatchText(b, "pa.sex", v);
    case QueryAttr::kStudyInstanceUid:
      return MatchUids(b, "st.study_uid", v);
    case QueryAttr::kStudyDate:
      return MatchRange(b, "st.study_date", v);
    case QueryAttr::kStudyTime:
      return MatchRange(b, "st.study_time", v);
    case QueryAttr::kAccessionNumber:
      return MatchText(b, "st.accession", v);
    case QueryAttr::kStudyId:
      return MatchText(b, "st.study_id", v);
    case QueryAttr::kStudyDescription:
      return MatchPersonName(b, "st.description", v);  // case-insensitive, as users expect
    case QueryAttr::kReferringPhysicianName:
      return MatchPersonName(b, "st.referring", v);
    case QueryAttr::kModalitiesInStudy: {
      const auto values = Split(v, '\\');
      if (HasWildcard(v)) {
        b.And("EXISTS (SELECT 1 FROM series ms WHERE ms.study_pk = st.pk AND ms.modality GLOB " +
              b.Param(GlobPattern(v)) + ")");
      } else {
        b.And("EXISTS (SELECT 1 FROM series ms WHERE ms.study_pk = st.pk AND ms.modality IN " +
              b.InList(values) + ")");
      }
      return;
    }
    case QueryAttr::kSeriesInstanceUid:
      return MatchUids(b, "se.series_uid", v);
    case QueryAttr::kModality:
      return MatchText(b, "se.modality", v);
    case QueryAttr::kSeriesNumber:
      return MatchIntegers(b, "se.series_number", v);
    case QueryAttr::kSeriesDescription:
      return MatchPersonName(b, "se.description", v);
    case QueryAttr::kBodyPartExamined:
      return MatchText(b, "se.body_part", v);
    case QueryAttr::kSeriesDate:
      return MatchRange(b, "se.series_date", v);
    case QueryAttr::kSeriesTime:
      return MatchRange(b, "se.series_time", v);
    case QueryAttr::kPerformedProcedureStepStartDate:
      return MatchRange(b, "se.pps_start_date", v);
    case QueryAttr::kPerformedProcedureStepStartTime:
      return MatchRange(b, "se.pps_start_time", v);
    case QueryAttr::kSopInstanceUid:
      return MatchUids(b, "i.sop_uid", v);
    case QueryAttr::kSopClassUid:
      return MatchUids(b, "i.sop_class", v);
    case QueryAttr::kInstanceNumber:
      return MatchIntegers(b, "i.instance_number", v);
  }
}

// How many studies a patient has: all of them, or in a restricted scope
// only those the scope names (Search replaces it).
constexpr std::string_view kStudiesOfPatient =
    "(SELECT count(*) FROM studies cs WHERE cs.patient_pk = pa.pk)";

std::string PatientColumns() {
  return "pa.patient_id, pa.issuer, pa.name, pa.birth_date, pa.sex, " +
         std::string(kStudiesOfPatient) +
         ", (SELECT code FROM tenants tn WHERE tn.pk = pa.tenant_pk)";
}

constexpr const char* kStudyColumns =
    ", st.study_uid, st.study_date, st.study_time, st.accession, st.study_id, st.description, "
    "st.referring, st.modalities, st.num_series, st.num_instances, st.updated_at";
constexpr const char* kSeriesColumns =
    ", se.series_uid, se.modality, se.series_number, se.description, se.body_part, "
    "se.num_instances, se.series_date, se.series_time, se.pps_start_date, se.pps_start_time";
constexpr const char* kInstanceColumns =
    ", i.sop_uid, i.sop_class, i.instance_number, i.transfer_syntax, i.rows, i.columns, i.frames, "
    "i.version, i.sha256, i.size, i.blob_key, i.stored_size, i.source, i.received_at";

struct LevelSql {
  std::string columns;
  std::string from;
  std::string order;
  std::string tenant_column;  // of the level's own table, which every row joins
};

}  // namespace

std::string SeriesOrder(std::string_view table) {
  const std::string t(table);
  return t + ".series_number IS NULL, " + t + ".series_number, " + t + ".pk";
}

std::string InstanceOrder(std::string_view table) {
  const std::string t(table);
  return t + ".instance_number IS NULL, " + t + ".instance_number, " + t + ".pk";
}

namespace {

LevelSql SqlFor(QueryLevel level) {
  switch (level) {
    case QueryLevel::kPatient:
      return {PatientColumns(), " FROM patients pa", " ORDER BY pa.name, pa.patient_id, pa.pk",
              "pa.tenant_pk"};
    case QueryLevel::kStudy:
      return {PatientColumns() + kStudyColumns,
              " FROM studies st JOIN patients pa ON pa.pk = st.patient_pk",
              " ORDER BY st.study_date DESC, st.study_time DESC, st.pk DESC", "st.tenant_pk"};
    case QueryLevel::kSeries:
      return {PatientColumns() + kStudyColumns + kSeriesColumns,
              " FROM series se JOIN studies st ON st.pk = se.study_pk "
              "JOIN patients pa ON pa.pk = st.patient_pk",
              " ORDER BY se.study_pk, " + SeriesOrder("se"), "se.tenant_pk"};
    case QueryLevel::kInstance:
      return {PatientColumns() + kStudyColumns + kSeriesColumns + kInstanceColumns,
              " FROM instances i JOIN series se ON se.pk = i.series_pk "
              "JOIN studies st ON st.pk = se.study_pk JOIN patients pa ON pa.pk = st.patient_pk",
              " ORDER BY i.series_pk, " + InstanceOrder("i"), "i.tenant_pk"};
  }
  return {};
}

QueryMatch ReadMatch(const Statement& s, QueryLevel level) {
  QueryMatch m;
  int c = 0;
  m.patient.patient_id = s.Text(c++);
  m.patient.issuer_of_patient_id = s.Text(c++);
  m.patient.patient_name = s.Text(c++);
  m.patient.birth_date = s.Text(c++);
  m.patient.sex = s.Text(c++);
  m.patient.num_studies = s.Int(c++);
  m.patient.tenant = s.Text(c++);
  if (level == QueryLevel::kPatient) return m;
  StudyRecord& st = m.study;
  st.tenant = m.patient.tenant;
  st.patient_id = m.patient.patient_id;
  st.issuer_of_patient_id = m.patient.issuer_of_patient_id;
  st.patient_name = m.patient.patient_name;
  st.patient_birth_date = m.patient.birth_date;
  st.patient_sex = m.patient.sex;
  st.study_instance_uid = s.Text(c++);
  st.study_date = s.Text(c++);
  st.study_time = s.Text(c++);
  st.accession_number = s.Text(c++);
  st.study_id = s.Text(c++);
  st.study_description = s.Text(c++);
  st.referring_physician_name = s.Text(c++);
  const std::string modalities = s.Text(c++);
  if (!modalities.empty()) st.modalities = Split(modalities, '\\');
  st.num_series = s.Int(c++);
  st.num_instances = s.Int(c++);
  st.updated_at_ms = s.Int(c++);
  if (level == QueryLevel::kStudy) return m;
  SeriesRecord& se = m.series;
  se.study_instance_uid = st.study_instance_uid;
  se.series_instance_uid = s.Text(c++);
  se.modality = s.Text(c++);
  se.series_number = s.OptInt(c++);
  se.series_description = s.Text(c++);
  se.body_part_examined = s.Text(c++);
  se.num_instances = s.Int(c++);
  se.series_date = s.Text(c++);
  se.series_time = s.Text(c++);
  se.performed_procedure_step_start_date = s.Text(c++);
  se.performed_procedure_step_start_time = s.Text(c++);
  if (level == QueryLevel::kSeries) return m;
  InstanceRecord& i = m.instance;
  i.study_instance_uid = st.study_instance_uid;
  i.series_instance_uid = se.series_instance_uid;
  i.sop_instance_uid = s.Text(c++);
  i.sop_class_uid = s.Text(c++);
  i.instance_number = s.OptInt(c++);
  i.transfer_syntax_uid = s.Text(c++);
  i.rows = s.OptInt(c++);
  i.columns = s.OptInt(c++);
  i.number_of_frames = s.OptInt(c++);
  i.version = static_cast<int>(s.Int(c++));
  i.sha256_hex = s.Text(c++);
  i.size = static_cast<uint64_t>(s.Int(c++));
  i.blob_key = s.Text(c++);
  i.stored_size = static_cast<uint64_t>(s.Int(c++));
  i.source = s.Text(c++);
  i.received_at_ms = s.Int(c++);
  return m;
}

// True when every condition names studies or series by UID: SQLite then
// finds them by their unique index and walks their series and instances in
// order (schema 9's indexes), which no misjudged estimate can spoil.
bool OnlyUidConditions(const Query& query) {
  return std::ranges::all_of(query.conditions, [](const QueryCondition& c) {
    return c.value.empty() || c.attr == QueryAttr::kStudyInstanceUid ||
           c.attr == QueryAttr::kSeriesInstanceUid;
  });
}

struct SearchSql {
  SqlBuilder b;
  std::string count;   // SELECT count(*) of every match
  std::string select;  // the page
};

// REQUIRES: a restricted scope names at least one study.
SearchSql BuildSearchSql(const Query& query, int64_t tenant_pk) {
  SearchSql out;
  SqlBuilder& b = out.b;
  const LevelSql sql = SqlFor(query.level);
  // An integer of our own, not a request value: written into the SQL.
  if (tenant_pk != 0) b.And(sql.tenant_column + " = " + std::to_string(tenant_pk));
  std::string columns = sql.columns;
  if (query.scope.restricted()) {
    // A share sees its studies only; at the patient level, the patients
    // they belong to, counting only those studies (a count of all would
    // tell that other exams exist).
    const std::string studies = b.InList(query.scope.studies());
    b.And(query.level == QueryLevel::kPatient
              ? "pa.pk IN (SELECT patient_pk FROM studies WHERE study_uid IN " + studies + ")"
              : "st.study_uid IN " + studies);
    columns.replace(columns.find(kStudiesOfPatient), kStudiesOfPatient.size(),
                    "(SELECT count(*) FROM studies cs WHERE cs.patient_pk = pa.pk AND "
                    "cs.study_uid IN " +
                        studies + ")");
  }
  if (query.level == QueryLevel::kInstance) b.And("i.version = 1");
  for (const auto& c : query.conditions) {
    if (!c.value.empty()) AddCondition(b, c, query.fuzzy_names);
  }
  std::string order = sql.order;
  if ((query.level == QueryLevel::kSeries || query.level == QueryLevel::kInstance) &&
      !OnlyUidConditions(query)) {
    // Series and instances can be walked in answer order by an index, and
    // a page then ends after `limit` rows instead of a sort of every match.
    // With other conditions SQLite may walk the order index past millions
    // of rows that do not match (it has no statistics of a date range or a
    // rare modality); a unary + keeps it to the conditions' own indexes,
    // then a sort of what they find.
    order.insert(order.find("BY ") + 3, "+");
  }
  out.count = "SELECT count(*)" + sql.from + b.where;
  out.select = "SELECT " + columns + sql.from + b.where + order;
  if (query.limit > 0 || query.offset > 0) {
    out.select += " LIMIT " + std::to_string(query.limit > 0 ? query.limit : -1) + " OFFSET " +
                  std::to_string(query.offset);
  }
  return out;
}

}  // namespace

std::string SearchSelectSql(const Query& query, int64_t tenant_pk) {
  return BuildSearchSql(query, tenant_pk).select;
}

Result<Page<QueryMatch>> SqliteCatalog::Search(const Query& query) {
  if (auto valid = ValidateQuery(query); !valid) return std::unexpected(valid.error());
  auto db = Borrow();
  Page<QueryMatch> page;
  auto tenant_pk = ScopePk(*db, query.scope);
  if (!tenant_pk) return std::unexpected(tenant_pk.error());
  if (!*tenant_pk) return page;  // a tenant that has stored nothing
  if (query.scope.restricted() && query.scope.studies().empty()) return page;
  const SearchSql sql = BuildSearchSql(query, **tenant_pk);
  const SqlBuilder& b = sql.b;
  if (query.count_total) {
    auto count = db->Prepare(sql.count);
    if (!count) return std::unexpected(count.error());
    b.Bind(**count);
    auto row = (*count)->Step();
    if (!row) {
      (*count)->Reset();
      return std::unexpected(row.error());
    }
    page.total = *row ? (*count)->Int(0) : 0;
    (*count)->Reset();
  }
  auto s = db->Prepare(sql.select);
  if (!s) return std::unexpected(s.error());
  b.Bind(**s);
  auto items =
      Collect<QueryMatch>(**s, [&](const Statement& st) { return ReadMatch(st, query.level); });
  if (!items) return std::unexpected(items.error());
  page.items = std::move(*items);
  if (!query.count_total) page.total = static_cast<int64_t>(page.items.size()) + query.offset;
  return page;
}

}  // namespace cf::catalog::sqlite
