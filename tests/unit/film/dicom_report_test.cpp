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

// pydicom's 12-lead ECG (../shared/testdata): an unconfirmed machine
// reading with its measurements.
TEST(DicomReportTest, AnEcgWaveformIsReadAsAnEcgReport) {
  const std::filesystem::path ecg =
      std::filesystem::path(CF_TESTDATA_DIR) / "nonimage/ecg_12lead.dcm";
  if (!std::filesystem::exists(ecg)) GTEST_SKIP() << "../shared/testdata is absent";
  auto bytes = ReadFile(ecg, 4 << 20);
  ASSERT_TRUE(bytes);
  auto version = ReportFromDicom("1.2.840.10008.5.1.4.1.1.9.1.1", *bytes, "ruijin");
  ASSERT_TRUE(version) << version.error().message;
  ASSERT_TRUE(*version);
  const NewReportVersion& v = **version;
  EXPECT_EQ(v.kind, ReportKind::kEcg);
  EXPECT_EQ(v.study_uid, "1.3.76.13.65829.2.20130125082826.1072139.2");
  EXPECT_EQ(v.content.source, "dicom-ecg");
  // No reading physician: the machine's interpretation, not a signed report.
  EXPECT_EQ(v.content.status, ReportStatus::kPreliminary);
  EXPECT_EQ(v.content.signer, "");
  EXPECT_EQ(v.content.conclusion, "RITMO SINUSALE\nECG NORMALE");
  ASSERT_EQ(v.content.sections.size(), 2u);
  EXPECT_EQ(v.content.sections[0].title, "Measurements");
  EXPECT_NE(v.content.sections[0].text.find("RR Interval: 982 ms"), std::string::npos)
      << v.content.sections[0].text;
  EXPECT_NE(v.content.sections[0].text.find("PR Interval: 161 ms"), std::string::npos);
  EXPECT_EQ(v.content.sections[1].title, "Acquisition");
  EXPECT_NE(
      v.content.sections[1].text.find(
          "Electrode Placement: Standard 12-lead positions: limb leads placed at extremities"),
      std::string::npos)
      << v.content.sections[1].text;
  EXPECT_NE(v.content.sections[1].text.find("Waveform 1: 12 channels, 1000 Hz, 10.0 s"),
            std::string::npos);
  EXPECT_NE(v.content.sections[1].text.find("Waveform 2: 12 channels, 1000 Hz, 1.2 s"),
            std::string::npos);
  EXPECT_TRUE(ValidateContent(v.content));
}

}  // namespace
}  // namespace cf::film
