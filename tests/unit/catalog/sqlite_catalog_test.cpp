// SPDX-License-Identifier: Apache-2.0
#include "catalog/sqlite_catalog.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include <set>
#include <thread>

#include "support/temp_dir.hpp"

namespace cf::catalog {
namespace {

dicom::ParsedInstance Make(std::string sop, std::string series = "1.2.3", std::string study = "1.2",
                           std::string patient = "P1") {
  dicom::ParsedInstance p;
  p.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  p.sop_instance_uid = std::move(sop);
  p.series_instance_uid = std::move(series);
  p.study_instance_uid = std::move(study);
  p.patient_id = std::move(patient);
  p.patient_name = "Zhang^San=张^三=zhang^san";
  p.study_date = "20260115";
  p.modality = "CT";
  p.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  return p;
}

const Scope kDefault = Scope::Of("default");

class SqliteCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = OpenSqliteCatalog({dir_.Path() / "catalog.sqlite"});
    ASSERT_TRUE(c) << c.error().message;
    catalog_ = std::move(*c);
  }
  Result<IndexResult> Index(const dicom::ParsedInstance& p, std::string sha, uint64_t size = 100,
                            std::string tenant = "default") {
    InstanceToIndex in;
    in.parsed = &p;
    in.tenant = std::move(tenant);
    in.sha256_hex = std::move(sha);
    in.size = size;
    in.stored_size = size;
    in.blob_key = "k/" + p.sop_instance_uid + "-" + in.sha256_hex;
    in.source = "test";
    return catalog_->Index(in);
  }
  cf::testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(SqliteCatalogTest, IndexCreatesMissingParents) {
  auto r = Index(Make("1.2.3.1"), "aa");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, IndexOutcome::kStored);
  EXPECT_EQ(r->version, 1);
  auto study = catalog_->GetStudy(kDefault, "1.2");
  ASSERT_TRUE(study);
  EXPECT_EQ(study->patient_id, "P1");
  EXPECT_EQ(study->patient_name, "Zhang^San=张^三=zhang^san");
  EXPECT_EQ(study->num_series, 1);
  EXPECT_EQ(study->num_instances, 1);
  EXPECT_EQ(study->modalities, std::vector<std::string>{"CT"});
  auto totals = catalog_->GetTotals();
  EXPECT_EQ(totals->patients, 1);
  EXPECT_EQ(totals->instances, 1);
  EXPECT_EQ(totals->bytes_received, 100u);
}

TEST_F(SqliteCatalogTest, SameBytesAgainIsAlreadyPresent) {
  ASSERT_TRUE(Index(Make("1.2.3.1"), "aa"));
  auto pre = catalog_->Precheck(Make("1.2.3.1"), "aa", "default");
  ASSERT_TRUE(pre);
  ASSERT_TRUE(pre->has_value());
  EXPECT_EQ((*pre)->outcome, IndexOutcome::kAlreadyPresent);
  auto again = Index(Make("1.2.3.1"), "aa");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, IndexOutcome::kAlreadyPresent);
  EXPECT_EQ(again->blob_key, "k/1.2.3.1-aa");
  EXPECT_EQ(catalog_->GetTotals()->instance_versions, 1);
}

TEST_F(SqliteCatalogTest, DifferentBytesBecomeANewVersionAndKeepTheFirst) {
  ASSERT_TRUE(Index(Make("1.2.3.1"), "aa"));
  auto v2 = Index(Make("1.2.3.1"), "bb");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->outcome, IndexOutcome::kNewVersion);
  EXPECT_EQ(v2->version, 2);
  auto versions = catalog_->GetInstanceVersions(kDefault, "1.2.3.1");
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].sha256_hex, "aa");
  EXPECT_EQ((*versions)[1].sha256_hex, "bb");
  auto totals = catalog_->GetTotals();
  EXPECT_EQ(totals->instances, 1);
  EXPECT_EQ(totals->instance_versions, 2);
  EXPECT_EQ(catalog_->GetStudy(kDefault, "1.2")->num_instances, 1);
}

TEST_F(SqliteCatalogTest, SeriesCannotJumpStudies) {
  ASSERT_TRUE(Index(Make("1.2.3.1", "1.2.3", "1.2"), "aa"));
  auto r = Index(Make("1.2.3.2", "1.2.3", "1.9"), "bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(catalog_->GetStudy(kDefault, "1.9").error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteCatalogTest, StudyCannotChangePatientsSilently) {
  ASSERT_TRUE(Index(Make("1.2.3.1", "1.2.3", "1.2", "P1"), "aa"));
  auto r = Index(Make("1.2.3.2", "1.2.3", "1.2", "P2"), "bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(catalog_->GetTotals()->patients, 1);
}

TEST_F(SqliteCatalogTest, InstanceCannotMoveToAnotherSeries) {
  ASSERT_TRUE(Index(Make("1.2.3.1", "1.2.3"), "aa"));
  auto r = Index(Make("1.2.3.1", "1.2.4"), "bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteCatalogTest, FindStudiesFiltersAndPaginates) {
  for (int i = 0; i < 30; ++i) {
    auto p = Make("1.5." + std::to_string(i), "1.4." + std::to_string(i),
                  "1.3." + std::to_string(i), "P" + std::to_string(i % 3));
    p.study_date = "202601" + std::string(i + 1 < 10 ? "0" : "") + std::to_string(i + 1);
    p.modality = i % 2 ? "MR" : "CT";
    p.accession_number = "A" + std::to_string(i);
    ASSERT_TRUE(Index(p, "s" + std::to_string(i)));
  }
  StudyQuery q{kDefault};
  q.limit = 10;
  auto page = catalog_->FindStudies(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 30);
  ASSERT_EQ(page->items.size(), 10u);
  EXPECT_EQ(page->items[0].study_date, "20260130");  // newest first
  q.offset = 25;
  EXPECT_EQ(catalog_->FindStudies(q)->items.size(), 5u);

  StudyQuery by_patient{kDefault};
  by_patient.patient_id = "P1";
  EXPECT_EQ(catalog_->FindStudies(by_patient)->total, 10);
  StudyQuery by_range{kDefault};
  by_range.study_date_from = "20260105";
  by_range.study_date_to = "20260109";
  EXPECT_EQ(catalog_->FindStudies(by_range)->total, 5);
  StudyQuery by_modality{kDefault};
  by_modality.modality = "MR";
  EXPECT_EQ(catalog_->FindStudies(by_modality)->total, 15);
  StudyQuery by_accession{kDefault};
  by_accession.accession_number = "A7";
  auto acc = catalog_->FindStudies(by_accession);
  ASSERT_EQ(acc->items.size(), 1u);
  EXPECT_EQ(acc->items[0].study_instance_uid, "1.3.7");
}

TEST_F(SqliteCatalogTest, NameMatchesAnyComponentGroupWithWildcards) {
  ASSERT_TRUE(Index(Make("1.2.3.1"), "aa"));
  for (const char* pattern : {"zhang*", "ZHANG^SAN*", "张*", "张^三*", "zh?ng*"}) {
    StudyQuery q{kDefault};
    q.patient_name = pattern;
    EXPECT_EQ(catalog_->FindStudies(q)->total, 1) << pattern;
  }
  StudyQuery miss{kDefault};
  miss.patient_name = "Li*";
  EXPECT_EQ(catalog_->FindStudies(miss)->total, 0);
  PatientQuery pq{kDefault};
  pq.patient_name = "*三*";
  auto patients = catalog_->FindPatients(pq);
  ASSERT_EQ(patients->items.size(), 1u);
  EXPECT_EQ(patients->items[0].num_studies, 1);
}

TEST_F(SqliteCatalogTest, ConcurrentIndexCallsAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto p = Make("1.7." + std::to_string(t) + "." + std::to_string(i),
                      "1.6." + std::to_string(t), "1.5");
        if (Index(p, "h" + std::to_string(t * 100 + i))) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 300);
  EXPECT_EQ(catalog_->GetTotals()->instances, 300);
  auto series = catalog_->ListSeries(kDefault, "1.5");
  ASSERT_EQ(series->size(), 6u);
  for (const auto& s : *series) EXPECT_EQ(s.num_instances, 50);
}

TEST_F(SqliteCatalogTest, ReopeningKeepsEverything) {
  ASSERT_TRUE(Index(Make("1.2.3.1"), "aa"));
  catalog_.reset();
  auto c = OpenSqliteCatalog({dir_.Path() / "catalog.sqlite"});
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->GetTotals()->instances, 1);
  EXPECT_EQ((*c)->GetInstanceVersions(kDefault, "1.2.3.1")->front().blob_key, "k/1.2.3.1-aa");
}

// Two hospitals send the same UIDs (a shared modality vendor's generator,
// a copied CD): each keeps its own patient, study and versions.
TEST_F(SqliteCatalogTest, SameUidsFromTwoTenantsNeverMerge) {
  ASSERT_TRUE(Index(Make("1.2.3.1"), "aa", 100, "ruijin"));
  auto other = Make("1.2.3.1", "1.2.3", "1.2", "P9");  // another patient under the same UIDs
  auto r = Index(other, "bb", 100, "huashan");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, IndexOutcome::kStored);  // not a new version, not a conflict
  EXPECT_EQ(r->version, 1);

  auto ruijin = catalog_->GetStudy(Scope::Of("ruijin"), "1.2");
  ASSERT_TRUE(ruijin);
  EXPECT_EQ(ruijin->patient_id, "P1");
  EXPECT_EQ(ruijin->tenant, "ruijin");
  auto huashan = catalog_->GetStudy(Scope::Of("huashan"), "1.2");
  ASSERT_TRUE(huashan);
  EXPECT_EQ(huashan->patient_id, "P9");
  EXPECT_EQ(catalog_->GetInstanceVersions(Scope::Of("ruijin"), "1.2.3.1")->front().sha256_hex,
            "aa");
  EXPECT_EQ(catalog_->GetInstanceVersions(Scope::Of("huashan"), "1.2.3.1")->size(), 1u);
  EXPECT_EQ(catalog_->GetStudy(kDefault, "1.2").error().code, ErrorCode::kNotFound);

  // Across every tenant the UID is ambiguous: refused, never one picked.
  EXPECT_EQ(catalog_->GetStudy(Scope::All(), "1.2").error().code, ErrorCode::kConflict);
  EXPECT_EQ(catalog_->ListSeries(Scope::All(), "1.2").error().code, ErrorCode::kConflict);
  EXPECT_EQ(catalog_->GetInstanceVersions(Scope::All(), "1.2.3.1").error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(catalog_->GetTotals()->patients, 2);
}

TEST_F(SqliteCatalogTest, ReadsSeeOnlyTheirTenant) {
  ASSERT_TRUE(Index(Make("1.2.3.1", "1.2.3", "1.2", "P1"), "aa", 100, "ruijin"));
  ASSERT_TRUE(Index(Make("2.2.3.1", "2.2.3", "2.2", "P2"), "bb", 100, "huashan"));
  StudyQuery q{Scope::Of("ruijin")};
  auto page = catalog_->FindStudies(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].study_instance_uid, "1.2");
  EXPECT_EQ(page->total, 1);
  EXPECT_EQ(catalog_->ListInstances(Scope::Of("ruijin"), "2.2.3")->size(), 0u);
  EXPECT_EQ(catalog_->GetStudy(Scope::Of("ruijin"), "2.2").error().code, ErrorCode::kNotFound);
  // A tenant that never stored anything, or a made-up one, sees nothing.
  EXPECT_TRUE(catalog_->FindStudies(StudyQuery{Scope::Of("nobody")})->items.empty());
  EXPECT_TRUE(catalog_->FindStudies(StudyQuery{Scope::Of("")})->items.empty());
  // Every tenant: both, each naming its hospital.
  auto all = catalog_->FindStudies(StudyQuery{Scope::All()});
  ASSERT_EQ(all->items.size(), 2u);
  std::set<std::string> tenants;
  for (const auto& s : all->items) tenants.insert(s.tenant);
  EXPECT_EQ(tenants, (std::set<std::string>{"huashan", "ruijin"}));
  // Prechecks are per tenant too.
  EXPECT_FALSE(*catalog_->Precheck(Make("1.2.3.1"), "aa", "huashan"));
  EXPECT_TRUE(*catalog_->Precheck(Make("1.2.3.1"), "aa", "ruijin"));
}

// A hospital's admin sees its own counts and bytes; the node's are the sum.
// Versions, and the compactor's smaller stored form, move the right
// hospital's figures.
TEST_F(SqliteCatalogTest, EachHospitalHasItsOwnTotalsAndUsage) {
  ASSERT_TRUE(Index(Make("1.2.3.1", "1.2.3", "1.2", "P1"), "aa", 100, "ruijin"));
  ASSERT_TRUE(Index(Make("1.2.3.2", "1.2.3", "1.2", "P1"), "ab", 200, "ruijin"));
  ASSERT_TRUE(Index(Make("1.2.3.2", "1.2.3", "1.2", "P1"), "ac", 50, "ruijin"));  // version 2
  auto us = Make("2.2.3.1", "2.2.3", "2.2", "P2");
  us.modality = "US";
  ASSERT_TRUE(Index(us, "bb", 1000, "huashan"));
  auto ruijin = catalog_->GetTenantTotals("ruijin");
  ASSERT_TRUE(ruijin) << ruijin.error().message;
  EXPECT_EQ(std::tuple(ruijin->patients, ruijin->studies, ruijin->series, ruijin->instances,
                       ruijin->instance_versions, ruijin->bytes_received, ruijin->bytes_stored),
            std::tuple(1, 1, 1, 2, 3, 350u, 350u));
  auto huashan = catalog_->GetTenantTotals("huashan");
  EXPECT_EQ(std::tuple(huashan->instances, huashan->bytes_received), std::tuple(1, 1000u));
  auto node = catalog_->GetTotals();
  EXPECT_EQ(std::tuple(node->patients, node->instances, node->bytes_received),
            std::tuple(2, 3, 1350u));
  for (const char* nobody : {"nobody", ""}) {
    auto none = catalog_->GetTenantTotals(nobody);
    ASSERT_TRUE(none);
    EXPECT_EQ(std::tuple(none->patients, none->instances, none->bytes_stored),
              std::tuple(0, 0, 0u));
  }

  // The compactor stores huashan's object in 250 bytes.
  Catalog::BlobUpdate update;
  update.blob_key = "k/2.2.3.1-bb";
  update.stored_size = 250;
  update.form = StoredForm::kCompressed;
  ASSERT_TRUE(catalog_->UpdateBlob(update));
  EXPECT_EQ(catalog_->GetTenantTotals("huashan")->bytes_stored, 250u);
  EXPECT_EQ(catalog_->GetTenantTotals("ruijin")->bytes_stored, 350u);
  EXPECT_EQ(catalog_->GetTotals()->bytes_stored, 600u);

  auto usage = catalog_->UsageByModality(Scope::Of("ruijin"));
  ASSERT_TRUE(usage);
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ(std::tuple(usage->at(0).modality, usage->at(0).instance_versions,
                       usage->at(0).bytes_received),
            std::tuple(std::string("CT"), 3, 350u));
  auto all = catalog_->UsageByModality(Scope::All());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).modality, "US");  // largest first
  EXPECT_TRUE(catalog_->UsageByModality(Scope::Of(""))->empty());
}

TEST_F(SqliteCatalogTest, IndexWithoutATenantIsRefused) {
  auto r = Index(Make("1.2.3.1"), "aa", 100, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(catalog_->GetTotals()->instances, 0);
}

}  // namespace
}  // namespace cf::catalog
