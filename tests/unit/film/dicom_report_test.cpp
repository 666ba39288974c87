// SPDX-License-Identifier: Apache-2.0
#include "film/dicom_report.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_io.hpp"

namespace cf::film {
namespace {

TEST(DicomReportTest, DateTimesWithAndWithoutZone) {
  EXPECT_EQ(ParseDicomDateTime("20261129093000+0800"), 1795915800000);
  EXPECT_EQ(ParseDicomDateTime("20261129013000"), 1795915800000) << "no offset: UTC";
  EXPECT_EQ(ParseDicomDateTime("20261129013000.25"), 1795915800250);
  EXPECT_EQ(ParseDicomDateTime("20261129"), 1795910400000);
  EXPECT_FALSE(ParseDicomDateTime("2026112"));
  EXPECT_FALSE(ParseDicomDateTime("20261329"));
  EXPECT_FALSE(ParseDicomDateTime("20261129093000+08"));
  EXPECT_FALSE(ParseDicomDateTime("2026-11-29"));
}

TEST(DicomReportTest, OtherObjectsAreNoReports) {
  auto none = ReportFromDicom("1.2.840.10008.5.1.4.1.1.2", {}, "default");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// The DCMTK sample of a verified, nested Comprehensive SR (../shared/testdata).
TEST(DicomReportTest, AVerifiedStructuredReportIsAFinalVersion) {
  const std::filesystem::path sr =
      std::filesystem::path(CF_TESTDATA_DIR) / "nonimage/sr_comprehensive_nested.dcm";
  if (!std::filesystem::exists(sr)) GTEST_SKIP() << "../shared/testdata is absent";
  auto bytes = ReadFile(sr, 1 << 20);
  ASSERT_TRUE(bytes);
  auto version = ReportFromDicom("1.2.840.10008.5.1.4.1.1.88.33", *bytes, "ruijin");
  ASSERT_TRUE(version) << version.error().message;
  ASSERT_TRUE(*version);
  const NewReportVersion& v = **version;
  EXPECT_EQ(v.tenant, "ruijin");
  EXPECT_FALSE(v.study_uid.empty());
  EXPECT_EQ(v.content.source, "dicom-sr");
  EXPECT_NE(v.content.status, ReportStatus::kPreliminary);
  EXPECT_FALSE(v.content.signer.empty());
  EXPECT_GT(v.content.signed_at_ms, 0);
  ASSERT_FALSE(v.content.sections.empty());
  bool mass = false;
  for (const auto& s : v.content.sections)
    mass |= s.text.find("Diameter: 3 cm") != std::string::npos;
  EXPECT_TRUE(mass) << "the nested text and measurements are in the sections";
  EXPECT_TRUE(ValidateContent(v.content));
}

}  // namespace
}  // namespace cf::film
