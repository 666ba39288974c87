// SPDX-License-Identifier: Apache-2.0
#include "film/retention.hpp"

#include <gtest/gtest.h>

#include "film/visit_store.hpp"
#include "support/temp_dir.hpp"

namespace cf::film {
namespace {

TEST(RetentionTest, YearsAreAddedToCalendarDates) {
  EXPECT_EQ(AddYears("20261129", 15), "20411129");
  EXPECT_EQ(AddYears("20240229", 1), "20250228");  // no 29 February in 2025
  EXPECT_EQ(AddYears("20240229", 4), "20280229");
  EXPECT_EQ(AddYears("20991231", 30), "21291231");
  EXPECT_EQ(AddYears("2026-11-29", 5), "");
  EXPECT_EQ(AddYears("20261329", 5), "");
  EXPECT_EQ(AddYears("", 5), "");
}

TEST(RetentionTest, WithoutVisitsTheServiceTierDecides) {
  const Retention r = ComputeRetention("20261129", 10, {});
  EXPECT_EQ(r.service_tier_until, "20361129");
  EXPECT_EQ(r.legal_minimum_until, "");
  EXPECT_EQ(r.retain_until, "20361129");
  EXPECT_EQ(r.decided_by, "service-tier");
  EXPECT_NE(r.rule.find("no visit dates are known"), std::string::npos) << r.rule;
}

TEST(RetentionTest, TheLaterOfTierOutpatientAndDischargeDecides) {
  // A 5-year tier, an outpatient visit two years later: 15 years after it.
  Retention r = ComputeRetention("20200105", 5, {"20220310", ""});
  EXPECT_EQ(r.legal_minimum_until, "20370310");
  EXPECT_EQ(r.retain_until, "20370310");
  EXPECT_EQ(r.decided_by, "outpatient-visit");
  EXPECT_NE(r.rule.find("last outpatient visit 2022-03-10 gives 2037-03-10"), std::string::npos)
      << r.rule;

  // An earlier discharge still reaches further: 30 years.
  r = ComputeRetention("20200105", 5, {"20220310", "20210601"});
  EXPECT_EQ(r.legal_minimum_until, "20510601");
  EXPECT_EQ(r.retain_until, "20510601");
  EXPECT_EQ(r.decided_by, "discharge");

  // A 30-year tier outlasts a 15-year outpatient minimum.
  r = ComputeRetention("20200105", 30, {"20220310", ""});
  EXPECT_EQ(r.retain_until, "20500105");
  EXPECT_EQ(r.decided_by, "service-tier");
  EXPECT_EQ(r.legal_minimum_until, "20370310");
}

TEST(VisitStoreTest, KeepsTheLastVisitOfEachKindPerPatientAndHospital) {
  cf::testing::TempDir dir;
  auto store = VisitStore::Open(dir.Path() / "visits.sqlite", "");
  ASSERT_TRUE(store) << store.error().message;
  VisitStore& s = **store;
  auto visit = [](std::string tenant, std::string id, std::string patient, VisitKind kind,
                  std::string date) {
    Visit v;
    v.tenant = std::move(tenant);
    v.visit_id = std::move(id);
    v.patient_id = std::move(patient);
    v.kind = kind;
    v.date = std::move(date);
    return v;
  };
  ASSERT_TRUE(s.Record(visit("rj", "OP-1", "P1", VisitKind::kOutpatient, "20250101")));
  ASSERT_TRUE(s.Record(visit("rj", "OP-2", "P1", VisitKind::kOutpatient, "20260301")));
  ASSERT_TRUE(s.Record(visit("rj", "OP-0", "P1", VisitKind::kOutpatient, "20240101")));
  // An admission without a discharge does not count yet; its discharge does.
  ASSERT_TRUE(s.Record(visit("rj", "IP-1", "P1", VisitKind::kInpatient, "")));
  auto last = s.Last("rj", "P1", "");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->outpatient, "20260301");
  EXPECT_EQ(last->discharge, "");
  ASSERT_TRUE(s.Record(visit("rj", "IP-1", "P1", VisitKind::kInpatient, "20251010")));
  last = s.Last("rj", "P1", "");
  EXPECT_EQ(last->discharge, "20251010");
  // Another hospital's visits and another patient's are not this patient's.
  ASSERT_TRUE(s.Record(visit("hs", "OP-9", "P1", VisitKind::kOutpatient, "20261101")));
  ASSERT_TRUE(s.Record(visit("rj", "OP-8", "P2", VisitKind::kOutpatient, "20261101")));
  EXPECT_EQ(s.Last("rj", "P1", "")->outpatient, "20260301");
  // Visits sent without an issuer are the hospital's own IDs; one with an
  // issuer is that issuer's patient only.
  EXPECT_EQ(s.Last("rj", "P1", "HIS")->outpatient, "20260301");
  Visit other = visit("rj", "OP-7", "P1", VisitKind::kOutpatient, "20261201");
  other.issuer_of_patient_id = "OTHER";
  ASSERT_TRUE(s.Record(other));
  EXPECT_EQ(s.Last("rj", "P1", "HIS")->outpatient, "20260301");
  EXPECT_EQ(s.Last("rj", "P1", "OTHER")->outpatient, "20261201");

  // The same visit id for another patient is refused; bad fields are named.
  EXPECT_EQ(s.Record(visit("rj", "OP-1", "P2", VisitKind::kOutpatient, "20250101")).error().code,
            ErrorCode::kConflict);
  auto bad = s.Record(visit("rj", "OP-3", "P1", VisitKind::kOutpatient, "2026-03-01"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("date"), std::string::npos);
  EXPECT_FALSE(s.Record(visit("rj", "OP-4", "P1", VisitKind::kOutpatient, "")));
  EXPECT_FALSE(s.Record(visit("rj", "", "P1", VisitKind::kOutpatient, "20250101")));
}

// A kiosk finds a visit by its number with the exams ordered in it; a
// later message about the same visit adds orders and keeps the earlier.
TEST(VisitStoreTest, FindsAVisitWithItsOrdersAcrossMessagesAndReopening) {
  cf::testing::TempDir dir;
  const auto path = dir.Path() / "visits.sqlite";
  {
    auto store = VisitStore::Open(path, "");
    ASSERT_TRUE(store) << store.error().message;
    Visit v;
    v.tenant = "rj";
    v.visit_id = "IP-2026-0042";
    v.patient_id = "P1";
    v.issuer_of_patient_id = "HIS";
    v.kind = VisitKind::kInpatient;
    v.accessions = {"ACC-CT-1", "ACC-US-2"};
    ASSERT_TRUE((*store)->Record(v));
    v.date = "20261120";  // the discharge, with one more order
    v.accessions = {"ACC-US-2", "ACC-ECG-3"};
    ASSERT_TRUE((*store)->Record(v));
    // A bad accession refuses the whole message: nothing of it is kept.
    v.date = "20261121";
    v.accessions = {"ACC-OK-4", std::string(17, 'A')};
    auto bad = (*store)->Record(v);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("accessions"), std::string::npos);
    v.accessions = {"ACC\\5"};
    EXPECT_FALSE((*store)->Record(v));
  }
  auto store = VisitStore::Open(path, "");
  ASSERT_TRUE(store) << store.error().message;
  auto found = (*store)->Find("rj", "IP-2026-0042");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  const Visit& v = **found;
  EXPECT_EQ(v.patient_id, "P1");
  EXPECT_EQ(v.issuer_of_patient_id, "HIS");
  EXPECT_EQ(v.kind, VisitKind::kInpatient);
  EXPECT_EQ(v.date, "20261120");
  EXPECT_EQ(v.accessions, (std::vector<std::string>{"ACC-CT-1", "ACC-ECG-3", "ACC-US-2"}));
  auto other_hospital = (*store)->Find("hs", "IP-2026-0042");
  ASSERT_TRUE(other_hospital);
  EXPECT_FALSE(other_hospital->has_value());
  auto unknown = (*store)->Find("rj", "IP-0");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
}

}  // namespace
}  // namespace cf::film
