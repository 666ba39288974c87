// SPDX-License-Identifier: Apache-2.0
// Catalog::Search against a small hierarchy with known answers: every
// matching type of PS3.4 C.2.2.2 at every level, fuzzy names in Chinese
// and Latin script, paging, and the errors for malformed values.
#include <gtest/gtest.h>

#include <algorithm>

#include "catalog/query.hpp"
#include "catalog/sqlite_catalog.hpp"
#include "catalog/sqlite_catalog_impl.hpp"
#include "catalog/sqlite_db.hpp"
#include "support/temp_dir.hpp"

namespace cf::catalog {
namespace {

struct Spec {
  std::string patient_id;
  std::string name;
  std::string study;
  std::string date;
  std::string time;
  std::string accession;
  std::string series;
  std::string modality;
  int series_number;
  std::string sop;
  int instance_number;
};

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = OpenSqliteCatalog({dir_.Path() / "catalog.sqlite"});
    ASSERT_TRUE(c) << c.error().message;
    catalog_ = std::move(*c);
    const std::vector<Spec> specs = {
        {"P1", "Wang^Xiaoming=王^小明=ワン^シャオミン", "1.1", "20260110", "083000", "ACC-1",
         "1.1.1", "CT", 1, "1.1.1.1", 1},
        {"P1", "Wang^Xiaoming=王^小明=ワン^シャオミン", "1.1", "20260110", "083000", "ACC-1",
         "1.1.1", "CT", 1, "1.1.1.2", 2},
        {"P1", "Wang^Xiaoming=王^小明=ワン^シャオミン", "1.1", "20260110", "083000", "ACC-1",
         "1.1.2", "SR", 2, "1.1.2.1", 1},
        {"P1", "Wang^Xiaoming=王^小明=ワン^シャオミン", "1.2", "20260301", "141500", "acc-2",
         "1.2.1", "MR", 3, "1.2.1.1", 7},
        {"P2", "Li^Na", "2.1", "20251231", "235959.5", "B-7", "2.1.1", "US", 1, "2.1.1.1", 1},
        {"P3", "陈小明", "3.1", "20260110", "120000", "C[1]", "3.1.1", "CT", 5, "3.1.1.1", 1},
    };
    int n = 0;
    for (const auto& s : specs) {
      dicom::ParsedInstance p;
      p.sop_class_uid =
          s.modality == "SR" ? "1.2.840.10008.5.1.4.1.1.88.11" : "1.2.840.10008.5.1.4.1.1.2";
      p.sop_instance_uid = s.sop;
      p.series_instance_uid = s.series;
      p.study_instance_uid = s.study;
      p.patient_id = s.patient_id;
      p.patient_name = s.name;
      p.study_date = s.date;
      p.study_time = s.time;
      p.accession_number = s.accession;
      p.modality = s.modality;
      p.series_number = s.series_number;
      p.instance_number = s.instance_number;
      p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
      ASSERT_TRUE(Index(p, "sha" + std::to_string(++n)));
    }
    // A second version of 1.1.1.1: searches return one match per SOP instance.
    dicom::ParsedInstance again;
    again.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    again.sop_instance_uid = "1.1.1.1";
    again.series_instance_uid = "1.1.1";
    again.study_instance_uid = "1.1";
    again.patient_id = "P1";
    again.modality = "CT";
    again.transfer_syntax_uid = "1.2.840.10008.1.2.1";
    ASSERT_TRUE(Index(again, "other"));
  }

  Result<IndexResult> Index(const dicom::ParsedInstance& p, const std::string& sha) {
    InstanceToIndex in;
    in.parsed = &p;
    in.tenant = "default";
    in.sha256_hex = sha;
    in.size = 10;
    in.stored_size = 10;
    in.blob_key = "k/" + sha;
    return catalog_->Index(in);
  }

  // The UIDs of the query level's matches, in the order returned.
  std::vector<std::string> Uids(QueryLevel level, std::vector<QueryCondition> conditions,
                                bool fuzzy = false,
                                const Scope& scope = cf::catalog::Scope::Of("default")) {
    Query q{scope};
    q.level = level;
    q.conditions = std::move(conditions);
    q.fuzzy_names = fuzzy;
    auto page = catalog_->Search(q);
    EXPECT_TRUE(page) << page.error().message;
    std::vector<std::string> out;
    if (!page) return out;
    for (const auto& m : page->items) {
      switch (level) {
        case QueryLevel::kPatient:
          out.push_back(m.patient.patient_id);
          break;
        case QueryLevel::kStudy:
          out.push_back(m.study.study_instance_uid);
          break;
        case QueryLevel::kSeries:
          out.push_back(m.series.series_instance_uid);
          break;
        case QueryLevel::kInstance:
          out.push_back(m.instance.sop_instance_uid);
          break;
      }
    }
    return out;
  }

  std::vector<std::string> Studies(std::vector<QueryCondition> c, bool fuzzy = false) {
    auto uids = Uids(QueryLevel::kStudy, std::move(c), fuzzy);
    std::sort(uids.begin(), uids.end());
    return uids;
  }

  using V = std::vector<std::string>;
  cf::testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(SearchTest, ASeriesListsItsInstancesInTheOrderOfItsSearch) {
  // Without Instance Numbers (an SR, a vendor's key images), and with UIDs
  // whose text order is not their arrival order: both list as received.
  for (const char* sop : {"4.1.1.9", "4.1.1.10", "4.1.1.8"}) {
    dicom::ParsedInstance p;
    p.sop_class_uid = "1.2.840.10008.5.1.4.1.1.88.11";
    p.sop_instance_uid = sop;
    p.series_instance_uid = "4.1.1";
    p.study_instance_uid = "4.1";
    p.patient_id = "P4";
    p.modality = "SR";
    p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
    ASSERT_TRUE(Index(p, sop));
  }
  const V arrival = {"4.1.1.9", "4.1.1.10", "4.1.1.8"};
  EXPECT_EQ(Uids(QueryLevel::kInstance, {{QueryAttr::kSeriesInstanceUid, "4.1.1"}}), arrival);
  auto listed = catalog_->ListInstances(Scope::Of("default"), "4.1.1");
  ASSERT_TRUE(listed);
  V uids;
  for (const auto& i : *listed) uids.push_back(i.sop_instance_uid);
  EXPECT_EQ(uids, arrival);
  // Numbered instances come by number, whatever their arrival.
  auto series = catalog_->ListInstances(Scope::Of("default"), "1.1.1");
  ASSERT_TRUE(series);
  V numbered;
  for (const auto& i : *series)
    numbered.push_back(i.sop_instance_uid + "/v" + std::to_string(i.version));
  EXPECT_EQ(numbered, (V{"1.1.1.1/v1", "1.1.1.2/v1", "1.1.1.1/v2"}));
}

TEST_F(SearchTest, StudiesComeNewestFirstWithEveryLevelAboveFilled) {
  EXPECT_EQ(Uids(QueryLevel::kStudy, {}), (V{"1.2", "3.1", "1.1", "2.1"}));
  Query q{cf::catalog::Scope::Of("default")};
  q.conditions = {{QueryAttr::kStudyInstanceUid, "1.1"}};
  auto page = catalog_->Search(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  const auto& m = page->items[0];
  EXPECT_EQ(m.patient.patient_id, "P1");
  EXPECT_EQ(m.study.patient_name, "Wang^Xiaoming=王^小明=ワン^シャオミン");
  EXPECT_EQ(m.study.num_series, 2);
  EXPECT_EQ(m.study.num_instances, 3);
  EXPECT_EQ(m.study.modalities, (V{"CT", "SR"}));
  EXPECT_EQ(m.patient.num_studies, 2);
}

TEST_F(SearchTest, SingleValueListAndWildcardMatching) {
  EXPECT_EQ(Studies({{QueryAttr::kPatientId, "P1"}}), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyInstanceUid, "1.1\\2.1\\9.9"}}), (V{"1.1", "2.1"}));
  // Text other than names is case-sensitive; '*' and '?' are wildcards and
  // '[' is an ordinary character.
  EXPECT_EQ(Studies({{QueryAttr::kAccessionNumber, "ACC*"}}), (V{"1.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kAccessionNumber, "?cc-2"}}), (V{"1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kAccessionNumber, "C[1]"}}), (V{"3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kAccessionNumber, "C[*"}}), (V{"3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kModalitiesInStudy, "MR\\US"}}), (V{"1.2", "2.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kModalitiesInStudy, "S*"}}), (V{"1.1"}));
  // Empty values match everything (universal matching).
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, ""}}).size(), 4u);
}

TEST_F(SearchTest, PersonNamesMatchAnyGroupCaseInsensitively) {
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "wang^xiaoming"}}), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "王^小明"}}), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "ワン*"}}), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "li*"}}), (V{"2.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "*小明*"}}), (V{"1.1", "1.2", "3.1"}));
  // Without wildcards a part of a name is no match.
  EXPECT_TRUE(Studies({{QueryAttr::kPatientName, "wang"}}).empty());
}

TEST_F(SearchTest, FuzzyNamesMatchWordStartsInEveryScript) {
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "wang"}}, true), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "xiaom"}}, true), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "王"}}, true), (V{"1.1", "1.2"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "王小明"}}, true), (V{"1.1", "1.2"}));
  // "陈小明" is one component; its given name still finds it.
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "小明"}}, true), (V{"1.1", "1.2", "3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "陈"}}, true), (V{"3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "シャオ"}}, true), (V{"1.1", "1.2"}));
  // Every word must match.
  EXPECT_EQ(Studies({{QueryAttr::kPatientName, "wang xiao"}}, true), (V{"1.1", "1.2"}));
  EXPECT_TRUE(Studies({{QueryAttr::kPatientName, "wang na"}}, true).empty());
  EXPECT_TRUE(Studies({{QueryAttr::kPatientName, "ang"}}, true).empty());
}

TEST_F(SearchTest, DateAndTimeRangesAreInclusive) {
  EXPECT_EQ(Studies({{QueryAttr::kStudyDate, "20260110"}}), (V{"1.1", "3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyDate, "20260101-20260131"}}), (V{"1.1", "3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyDate, "20260110-"}}), (V{"1.1", "1.2", "3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyDate, "-20251231"}}), (V{"2.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyTime, "0800-1200"}}), (V{"1.1", "3.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyTime, "2359-"}}), (V{"2.1"}));
  EXPECT_EQ(Studies({{QueryAttr::kStudyDate, "20260110"}, {QueryAttr::kStudyTime, "-1159"}}),
            (V{"1.1"}));
}

TEST_F(SearchTest, SeriesAndInstanceLevels) {
  EXPECT_EQ(Uids(QueryLevel::kSeries, {{QueryAttr::kStudyInstanceUid, "1.1"}}),
            (V{"1.1.1", "1.1.2"}));
  EXPECT_EQ(Uids(QueryLevel::kSeries, {{QueryAttr::kModality, "CT"}}), (V{"1.1.1", "3.1.1"}));
  EXPECT_EQ(Uids(QueryLevel::kSeries, {{QueryAttr::kSeriesNumber, "2\\3"}}), (V{"1.1.2", "1.2.1"}));
  // Patient-level keys reach down to series.
  EXPECT_EQ(Uids(QueryLevel::kSeries, {{QueryAttr::kPatientId, "P2"}}), (V{"2.1.1"}));
  // One match per SOP Instance UID (the first version), by instance number.
  EXPECT_EQ(Uids(QueryLevel::kInstance, {{QueryAttr::kSeriesInstanceUid, "1.1.1"}}),
            (V{"1.1.1.1", "1.1.1.2"}));
  EXPECT_EQ(
      Uids(QueryLevel::kInstance, {{QueryAttr::kStudyInstanceUid, "1.1"},
                                   {QueryAttr::kSopClassUid, "1.2.840.10008.5.1.4.1.1.88.11"}}),
      (V{"1.1.2.1"}));
  EXPECT_EQ(Uids(QueryLevel::kInstance, {{QueryAttr::kInstanceNumber, "7"}}), (V{"1.2.1.1"}));
  Query q{cf::catalog::Scope::Of("default")};
  q.level = QueryLevel::kInstance;
  q.conditions = {{QueryAttr::kSopInstanceUid, "1.1.1.1"}};
  auto page = catalog_->Search(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].instance.version, 1);
  EXPECT_EQ(page->items[0].instance.sha256_hex, "sha1");
  EXPECT_EQ(page->items[0].series.modality, "CT");
  EXPECT_EQ(page->items[0].study.accession_number, "ACC-1");
}

// How SQLite plans Search's statement, one line per step: what decides
// whether a page costs `limit` rows or a sort of every match, which a test
// of this size cannot time. Without ANALYZE statistics (the catalog keeps
// none) the plan does not depend on how much is stored.
std::string PlanOf(const std::filesystem::path& catalog_path, const Query& query,
                   int64_t tenant_pk) {
  auto db = sqlite::Connection::Open(catalog_path.string(), 1000, /*readonly=*/true);
  EXPECT_TRUE(db) << db.error().message;
  if (!db) return {};
  auto s = db->Prepare("EXPLAIN QUERY PLAN " + sqlite::SearchSelectSql(query, tenant_pk));
  EXPECT_TRUE(s) << s.error().message;
  if (!s) return {};
  std::string plan;
  for (;;) {
    auto row = (*s)->Step();
    EXPECT_TRUE(row);
    if (!row || !*row) break;
    plan += (*s)->Text(3) + "\n";
  }
  (*s)->Reset();
  return plan;
}

TEST_F(SearchTest, PagesWithoutConditionsAreReadOffAnIndexInAnswerOrder) {
  const auto path = dir_.Path() / "catalog.sqlite";
  const auto sorts = [](const std::string& plan) {
    return plan.find("TEMP B-TREE FOR ORDER BY") != std::string::npos;
  };
  // A hospital's newest studies, every series or instance of the node or
  // of one hospital (tenant 1).
  for (const int64_t tenant : {0, 1}) {
    for (const QueryLevel level :
         {QueryLevel::kStudy, QueryLevel::kSeries, QueryLevel::kInstance}) {
      Query q{Scope::Of("default")};
      q.level = level;
      const std::string plan = PlanOf(path, q, tenant);
      EXPECT_FALSE(sorts(plan)) << "level " << static_cast<int>(level) << ", tenant " << tenant
                                << ":\n"
                                << plan;
    }
  }
  // The first instance of a study (what QIDO reads a study's other
  // attributes from) sorts that study's instances only.
  Query first{Scope::Of("default")};
  first.level = QueryLevel::kInstance;
  first.limit = 1;
  first.conditions = {{QueryAttr::kStudyInstanceUid, "1.1"}};
  const std::string first_plan = PlanOf(path, first, 1);
  EXPECT_NE(first_plan.find("SEARCH st USING INDEX sqlite_autoindex_studies_1 (study_uid=?)"),
            std::string::npos)
      << first_plan;
  EXPECT_NE(first_plan.find("SEARCH i USING INDEX instances_series_order (series_pk=?)"),
            std::string::npos)
      << first_plan;

  // A study date range: the dates' index finds the studies, and only their
  // instances are sorted, rather than a walk of every instance in order.
  Query dated{Scope::Of("default")};
  dated.level = QueryLevel::kInstance;
  dated.conditions = {{QueryAttr::kStudyDate, "20260101-20260105"}};
  const std::string plan = PlanOf(path, dated, 1);
  EXPECT_TRUE(sorts(plan)) << plan;
  EXPECT_NE(plan.find("studies_date_time"), std::string::npos) << plan;

  // The order is the answer's: series by number, instances by number.
  EXPECT_EQ(Uids(QueryLevel::kSeries, {}), (V{"1.1.1", "1.1.2", "1.2.1", "2.1.1", "3.1.1"}));
  EXPECT_EQ(Uids(QueryLevel::kInstance, {{QueryAttr::kStudyInstanceUid, "1.1"}}),
            (V{"1.1.1.1", "1.1.1.2", "1.1.2.1"}));
}

TEST_F(SearchTest, FirstInstancesOfStudiesAndSeries) {
  // A study whose series numbered 2 arrives after the one numbered 9, and
  // whose first instance by number arrives last; one instance has no number.
  const auto add = [&](const std::string& series, std::optional<int> series_number,
                       const std::string& sop, std::optional<int> number) {
    dicom::ParsedInstance p;
    p.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    p.sop_instance_uid = sop;
    p.series_instance_uid = series;
    p.study_instance_uid = "4.1";
    p.patient_id = "P4";
    p.modality = "CT";
    p.series_number = series_number;
    p.instance_number = number;
    p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
    ASSERT_TRUE(Index(p, "sha-" + sop));
  };
  add("4.1.9", 9, "4.1.9.1", 1);
  add("4.1.2", 2, "4.1.2.none", std::nullopt);
  add("4.1.2", 2, "4.1.2.7", 7);
  add("4.1.2", 2, "4.1.2.3", 3);
  add("4.1.x", std::nullopt, "4.1.x.1", 1);

  const std::vector<TenantUid> studies = {
      {"default", "4.1"}, {"default", "1.1"}, {"default", "9.9"}, {"elsewhere", "4.1"}};
  auto firsts = catalog_->FirstInstances(QueryLevel::kStudy, studies);
  ASSERT_TRUE(firsts) << firsts.error().message;
  ASSERT_EQ(firsts->size(), 4u);
  ASSERT_TRUE((*firsts)[0]);
  EXPECT_EQ((*firsts)[0]->sop_instance_uid, "4.1.2.3");
  EXPECT_EQ((*firsts)[0]->series_instance_uid, "4.1.2");
  EXPECT_EQ((*firsts)[0]->study_instance_uid, "4.1");
  EXPECT_EQ((*firsts)[0]->blob_key, "k/sha-4.1.2.3");
  ASSERT_TRUE((*firsts)[1]);
  // The first version of an instance that has two.
  EXPECT_EQ((*firsts)[1]->sop_instance_uid, "1.1.1.1");
  EXPECT_EQ((*firsts)[1]->version, 1);
  EXPECT_FALSE((*firsts)[2]);  // not stored
  EXPECT_FALSE((*firsts)[3]);  // a hospital that stored nothing

  const std::vector<TenantUid> series = {
      {"default", "4.1.9"}, {"default", "4.1.x"}, {"default", "1.1.2"}, {"default", "4.1"}};
  firsts = catalog_->FirstInstances(QueryLevel::kSeries, series);
  ASSERT_TRUE(firsts) << firsts.error().message;
  ASSERT_EQ(firsts->size(), 4u);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE((*firsts)[i]) << i;
  EXPECT_EQ((*firsts)[0]->sop_instance_uid, "4.1.9.1");
  EXPECT_EQ((*firsts)[1]->sop_instance_uid, "4.1.x.1");
  EXPECT_EQ((*firsts)[2]->sop_instance_uid, "1.1.2.1");
  EXPECT_FALSE((*firsts)[3]);  // a study's UID is no series'

  auto wrong = catalog_->FirstInstances(QueryLevel::kInstance, series);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SearchTest, PatientLevel) {
  EXPECT_EQ(Uids(QueryLevel::kPatient, {{QueryAttr::kPatientName, "*"}}), (V{"P2", "P1", "P3"}));
  EXPECT_EQ(Uids(QueryLevel::kPatient, {{QueryAttr::kPatientName, "王"}}, true), (V{"P1"}));
}

TEST_F(SearchTest, PagingAndTotals) {
  Query q{cf::catalog::Scope::Of("default")};
  q.limit = 2;
  q.offset = 1;
  q.count_total = true;
  auto page = catalog_->Search(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 4);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].study.study_instance_uid, "3.1");
  EXPECT_EQ(page->items[1].study.study_instance_uid, "1.1");
}

TEST_F(SearchTest, MalformedValuesAreRefusedNamingTheAttribute) {
  auto refused = [&](QueryLevel level, QueryCondition c, std::string_view words) {
    Query q{cf::catalog::Scope::Of("default")};
    q.level = level;
    q.conditions = {std::move(c)};
    auto page = catalog_->Search(q);
    ASSERT_FALSE(page);
    EXPECT_EQ(page.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(page.error().message.find(words), std::string::npos) << page.error().message;
  };
  refused(QueryLevel::kStudy, {QueryAttr::kStudyDate, "2026-01-10"}, "StudyDate");
  refused(QueryLevel::kStudy, {QueryAttr::kStudyDate, "20261310"}, "StudyDate");
  refused(QueryLevel::kStudy, {QueryAttr::kStudyDate, "20260201-20260101"}, "StudyDate");
  refused(QueryLevel::kStudy, {QueryAttr::kStudyTime, "25"}, "StudyTime");
  refused(QueryLevel::kStudy, {QueryAttr::kStudyInstanceUid, "1.2.*"}, "StudyInstanceUID");
  refused(QueryLevel::kSeries, {QueryAttr::kSeriesNumber, "one"}, "SeriesNumber");
  refused(QueryLevel::kStudy, {QueryAttr::kModality, "CT"}, "Modality");
}

TEST(NameWordsTest, ComponentsGroupsAndJoinedFamilyGiven) {
  const auto words = NameWords("Wang^Xiaoming=王^小明");
  for (const char* w : {"WANG", "XIAOMING", "WANGXIAOMING", "王", "小明", "王小明", "明"}) {
    EXPECT_NE(std::find(words.begin(), words.end(), w), words.end()) << w;
  }
  EXPECT_TRUE(NameWords("").empty());
}

// A patient's share reads its studies only (catalog/scope.hpp): every
// search level and every lookup by UID, whatever the caller asks for.
TEST_F(SearchTest, RestrictedScopeSeesOnlyItsStudies) {
  const Scope share = Scope::Studies("default", {"1.2"});
  EXPECT_EQ(Uids(QueryLevel::kStudy, {}, false, share), V({"1.2"}));
  EXPECT_EQ(Uids(QueryLevel::kStudy, {{QueryAttr::kPatientId, "P1"}}, false, share), V({"1.2"}));
  EXPECT_EQ(Uids(QueryLevel::kStudy, {{QueryAttr::kStudyInstanceUid, "1.1"}}, false, share), V());
  EXPECT_EQ(Uids(QueryLevel::kPatient, {}, false, share), V({"P1"}));
  EXPECT_EQ(Uids(QueryLevel::kSeries, {}, false, share), V({"1.2.1"}));
  EXPECT_EQ(Uids(QueryLevel::kInstance, {}, false, share), V({"1.2.1.1"}));
  EXPECT_EQ(Uids(QueryLevel::kInstance, {{QueryAttr::kSeriesInstanceUid, "1.1.1"}}, false, share),
            V());

  EXPECT_TRUE(catalog_->GetStudy(share, "1.2"));
  auto other = catalog_->GetStudy(share, "1.1");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(catalog_->ListSeries(share, "1.2")->size(), 1u);
  EXPECT_TRUE(catalog_->ListSeries(share, "1.1")->empty());
  EXPECT_EQ(catalog_->ListInstances(share, "1.2.1")->size(), 1u);
  EXPECT_TRUE(catalog_->ListInstances(share, "1.1.1")->empty());
  EXPECT_TRUE(catalog_->GetInstanceVersions(share, "1.2.1.1"));
  auto instance = catalog_->GetInstanceVersions(share, "1.1.1.1");
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.error().code, ErrorCode::kNotFound);

  StudyQuery studies{share};
  auto page = catalog_->FindStudies(studies);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 1);
  PatientQuery patients{share};
  auto patient = catalog_->FindPatients(patients);
  ASSERT_TRUE(patient);
  ASSERT_EQ(patient->items.size(), 1u);
  // P1 has two studies; the share must not even tell that the other exists.
  EXPECT_EQ(patient->items[0].num_studies, 1);
  Query studies_of_p1{share};
  studies_of_p1.level = QueryLevel::kStudy;
  auto matches = catalog_->Search(studies_of_p1);
  ASSERT_TRUE(matches);
  ASSERT_EQ(matches->items.size(), 1u);
  EXPECT_EQ(matches->items[0].patient.num_studies, 1);
  EXPECT_EQ(catalog_->FindPatients(PatientQuery{Scope::Of("default")})->items.size(), 3u);
}

TEST_F(SearchTest, RestrictedScopeOfNoStudiesSeesNothing) {
  const Scope none = Scope::Studies("default", {});
  EXPECT_EQ(Uids(QueryLevel::kStudy, {}, false, none), V());
  EXPECT_EQ(Uids(QueryLevel::kPatient, {}, false, none), V());
  EXPECT_FALSE(catalog_->GetStudy(none, "1.1"));
  // Another tenant's scope with the same study UIDs sees nothing either.
  EXPECT_EQ(Uids(QueryLevel::kStudy, {}, false, Scope::Studies("h2", {"1.1", "1.2"})), V());
}

TEST(ScopeTest, StudyRestriction) {
  const Scope tenant = Scope::Of("h1");
  EXPECT_FALSE(tenant.restricted());
  EXPECT_TRUE(tenant.IncludesStudy("1.2.3"));
  const Scope share = Scope::Studies("h1", {"1.3", "1.2"});
  EXPECT_TRUE(share.restricted());
  EXPECT_EQ(share.studies(), (std::vector<std::string>{"1.2", "1.3"}));
  EXPECT_TRUE(share.Includes("h1", "1.3"));
  EXPECT_FALSE(share.Includes("h1", "1.4"));
  EXPECT_FALSE(share.Includes("h2", "1.3"));
  EXPECT_FALSE(share.IncludesStudy(""));
}

}  // namespace
}  // namespace cf::catalog
