// SPDX-License-Identifier: Apache-2.0
#include "film/report.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace cf::film {
namespace {

ReportContent Final() {
  ReportContent c;
  c.status = ReportStatus::kFinal;
  c.sections = {{"所见", "右肺上叶见一结节，约 8 mm。"}};
  c.conclusion = "右肺上叶结节，建议随访。";
  c.signer = "Dr. Li";
  c.signed_at_ms = 1764390000000;
  return c;
}

TEST(ReportTest, NamesRoundTrip) {
  for (auto kind : {ReportKind::kRadiology, ReportKind::kUltrasound, ReportKind::kEndoscopy,
                    ReportKind::kPathology, ReportKind::kEcg}) {
    EXPECT_EQ(ParseKind(KindName(kind)), kind);
  }
  EXPECT_FALSE(ParseKind("Radiology"));
  EXPECT_EQ(ParseStatus("amended"), ReportStatus::kAmended);
  EXPECT_FALSE(ParseStatus("corrected"));
}

TEST(ReportTest, SignedVersionsNeedSignerAndTime) {
  EXPECT_TRUE(ValidateContent(Final()));
  ReportContent unsigned_final = Final();
  unsigned_final.signer.clear();
  EXPECT_EQ(ValidateContent(unsigned_final).error().code, ErrorCode::kInvalidArgument);
  ReportContent untimed = Final();
  untimed.signed_at_ms = 0;
  EXPECT_FALSE(ValidateContent(untimed));
  ReportContent preliminary;
  preliminary.conclusion = "draft";
  EXPECT_TRUE(ValidateContent(preliminary)) << "a preliminary report need not be signed";
  ReportContent empty = Final();
  empty.sections.clear();
  empty.conclusion.clear();
  EXPECT_FALSE(ValidateContent(empty));
  ReportContent bad_uid = Final();
  bad_uid.key_images = {"1.2.3", "not a uid"};
  EXPECT_FALSE(ValidateContent(bad_uid));
  ReportContent not_pdf = Final();
  const char text[] = "<html>";
  not_pdf.pdf.resize(sizeof text);
  std::memcpy(not_pdf.pdf.data(), text, sizeof text);
  EXPECT_FALSE(ValidateContent(not_pdf));
}

TEST(ReportTest, StatusOrder) {
  EXPECT_TRUE(MayFollow(std::nullopt, ReportStatus::kPreliminary));
  EXPECT_TRUE(MayFollow(std::nullopt, ReportStatus::kFinal));
  EXPECT_FALSE(MayFollow(std::nullopt, ReportStatus::kAmended));
  EXPECT_TRUE(MayFollow(ReportStatus::kPreliminary, ReportStatus::kPreliminary));
  EXPECT_TRUE(MayFollow(ReportStatus::kPreliminary, ReportStatus::kFinal));
  EXPECT_FALSE(MayFollow(ReportStatus::kFinal, ReportStatus::kPreliminary));
  EXPECT_FALSE(MayFollow(ReportStatus::kFinal, ReportStatus::kFinal));
  EXPECT_TRUE(MayFollow(ReportStatus::kFinal, ReportStatus::kAmended));
  EXPECT_TRUE(MayFollow(ReportStatus::kAmended, ReportStatus::kAmended));
  EXPECT_FALSE(MayFollow(ReportStatus::kAmended, ReportStatus::kFinal));
}

// The exact bytes matter: a film manifest lists their hash, and anyone must
// be able to recompute it from the version.
TEST(ReportTest, CanonicalContentIsSortedCompactUtf8) {
  ReportContent c;
  c.status = ReportStatus::kFinal;
  c.sections = {{"Findings", "a \"quoted\" line\nnext"}};
  c.conclusion = "结论";
  c.signer = "Dr. Li";
  c.signed_at_ms = 5;
  c.key_images = {"1.2.3"};
  EXPECT_EQ(CanonicalContent(c),
            "{\"conclusion\":\"结论\",\"key_images\":[\"1.2.3\"],"
            "\"sections\":[{\"text\":\"a \\\"quoted\\\" line\\nnext\",\"title\":\"Findings\"}],"
            "\"signed_at_ms\":5,\"signer\":\"Dr. Li\",\"status\":\"final\"}");
  const char pdf[] = "%PDF-1.4 x";
  c.pdf.resize(sizeof pdf - 1);
  std::memcpy(c.pdf.data(), pdf, sizeof pdf - 1);
  EXPECT_NE(CanonicalContent(c).find("\"pdf_sha256\":\""), std::string::npos);
}

}  // namespace
}  // namespace cf::film
