// SPDX-License-Identifier: Apache-2.0
#include "film/report_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support/temp_dir.hpp"

namespace cf::film {
namespace {

class ReportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ReportStore::Open({dir_.Path() / "reports.sqlite"});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }

  static NewReportVersion Version(ReportStatus status, std::string conclusion,
                                  std::string tenant = "ruijin") {
    NewReportVersion v;
    v.tenant = std::move(tenant);
    v.kind = ReportKind::kRadiology;
    v.study_uid = "1.2.840.1";
    v.accession = "A100";
    v.content.status = status;
    v.content.conclusion = std::move(conclusion);
    if (status != ReportStatus::kPreliminary) {
      v.content.signer = "Dr. Li";
      v.content.signed_at_ms = 1764390000000;
    }
    v.received_by = "ris";
    return v;
  }

  cf::testing::TempDir dir_;
  std::unique_ptr<ReportStore> store_;
};

TEST_F(ReportStoreTest, VersionsAccumulateAndNeverGoBack) {
  auto first = store_->Submit(Version(ReportStatus::kPreliminary, "draft"));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->versions.size(), 1u);
  auto signed_report = store_->Submit(Version(ReportStatus::kFinal, "nodule, follow up"));
  ASSERT_TRUE(signed_report);
  EXPECT_EQ(signed_report->id, first->id) << "the same exam and kind: the same report";
  ASSERT_EQ(signed_report->versions.size(), 2u);
  EXPECT_EQ(signed_report->versions[1].version, 2);
  EXPECT_EQ(signed_report->versions[0].content.conclusion, "draft") << "history is kept";

  auto back = store_->Submit(Version(ReportStatus::kPreliminary, "oops"));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, ErrorCode::kConflict);
  auto again_final = store_->Submit(Version(ReportStatus::kFinal, "another final"));
  EXPECT_EQ(again_final.error().code, ErrorCode::kConflict);

  NewReportVersion amend = Version(ReportStatus::kAmended, "nodule 9 mm, not 8");
  amend.report_id = first->id;
  amend.study_uid.clear();
  amend.accession.clear();
  auto amended = store_->Submit(amend);
  ASSERT_TRUE(amended) << amended.error().message;
  ASSERT_EQ(amended->versions.size(), 3u);
  EXPECT_EQ(amended->versions.back().content.status, ReportStatus::kAmended);
  EXPECT_EQ(amended->versions[1].sha256_hex, signed_report->versions[1].sha256_hex);
}

TEST_F(ReportStoreTest, ARetryOfTheSameVersionAddsNothing) {
  ASSERT_TRUE(store_->Submit(Version(ReportStatus::kFinal, "clear")));
  auto retry = store_->Submit(Version(ReportStatus::kFinal, "clear"));
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_EQ(retry->versions.size(), 1u);
}

TEST_F(ReportStoreTest, ReportsAreTheirHospitals) {
  auto rj = store_->Submit(Version(ReportStatus::kFinal, "ruijin's", "ruijin"));
  auto hs = store_->Submit(Version(ReportStatus::kFinal, "huashan's", "huashan"));
  ASSERT_TRUE(rj && hs);
  EXPECT_NE(rj->id, hs->id) << "same exam UIDs, two hospitals: two reports";
  EXPECT_EQ(store_->Get(catalog::Scope::Of("huashan"), rj->id).error().code, ErrorCode::kNotFound);
  auto found = store_->Find({catalog::Scope::Of("huashan"), "1.2.840.1"});
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().versions.back().content.conclusion, "huashan's");
  EXPECT_EQ(store_->Find({catalog::Scope::All(), "1.2.840.1"})->size(), 2u);
  // Amending another hospital's report by its id is not possible either.
  NewReportVersion amend = Version(ReportStatus::kAmended, "x", "huashan");
  amend.report_id = rj->id;
  EXPECT_EQ(store_->Submit(amend).error().code, ErrorCode::kNotFound);
}

TEST_F(ReportStoreTest, AnAccessionFirstReportLearnsItsStudy) {
  NewReportVersion early = Version(ReportStatus::kPreliminary, "draft");
  early.study_uid.clear();
  auto r = store_->Submit(early);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->study_uid, "");
  auto later = store_->Submit(Version(ReportStatus::kFinal, "final"));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->id, r->id);
  EXPECT_EQ(later->study_uid, "1.2.840.1");
  NewReportVersion elsewhere = Version(ReportStatus::kAmended, "x");
  elsewhere.report_id = r->id;
  elsewhere.study_uid = "1.2.840.999";
  EXPECT_EQ(store_->Submit(elsewhere).error().code, ErrorCode::kConflict);
}

TEST_F(ReportStoreTest, VersionsCannotBeRewrittenEvenInTheDatabase) {
  auto r = store_->Submit(Version(ReportStatus::kFinal, "clear"));
  ASSERT_TRUE(r);
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.Path() / "reports.sqlite").c_str(), &db), SQLITE_OK);
  EXPECT_NE(
      sqlite3_exec(db, "UPDATE report_versions SET content = '{}'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM report_versions", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto reopened = ReportStore::Open({dir_.Path() / "reports.sqlite"});
  ASSERT_TRUE(reopened);
  auto kept = (*reopened)->Get(catalog::Scope::Of("ruijin"), r->id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->versions.front().content.conclusion, "clear");
  EXPECT_EQ(kept->versions.front().sha256_hex, r->versions.front().sha256_hex);
}

TEST_F(ReportStoreTest, BadInputIsRefused) {
  NewReportVersion nameless = Version(ReportStatus::kFinal, "x");
  nameless.study_uid.clear();
  nameless.accession.clear();
  EXPECT_EQ(store_->Submit(nameless).error().code, ErrorCode::kInvalidArgument);
  NewReportVersion bad_uid = Version(ReportStatus::kFinal, "x");
  bad_uid.study_uid = "1.2.abc";
  EXPECT_EQ(store_->Submit(bad_uid).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->Submit(Version(ReportStatus::kAmended, "first")).error().code,
            ErrorCode::kConflict);
}

}  // namespace
}  // namespace cf::film
