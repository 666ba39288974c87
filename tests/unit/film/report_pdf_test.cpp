// SPDX-License-Identifier: Apache-2.0
// The printed report is read back with poppler's pdftotext and pdfinfo,
// independent readers of what cairo wrote.
#include "film/report_pdf.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "film/render_module.hpp"
#include "support/process_maps.hpp"

namespace cf::film {
namespace {

namespace fs = std::filesystem;

Report ChestCt() {
  Report report;
  report.id = "r-5f2c";
  report.tenant = "default";
  report.kind = ReportKind::kRadiology;
  report.study_uid = "1.2.3";
  report.accession = "ACC-77";
  ReportVersion v;
  v.version = 2;
  v.content.status = ReportStatus::kFinal;
  v.content.sections = {{"所见 Findings", "右肺上叶见一结节，约 8 mm，边界清楚。"},
                        {"Technique", "Low-dose CT of the chest without contrast."}};
  v.content.conclusion = "右肺上叶结节，建议 12 个月后随访。";
  v.content.signer = "李明 Dr. Li";
  v.content.signed_at_ms = 1764390000000;  // 2025-11-29 04:20 UTC
  v.sha256_hex = std::string(64, 'a');
  v.received_at_ms = 1764390060000;
  report.versions = {v};
  return report;
}

PrintHeader Header() {
  PrintHeader h;
  h.hospital = "第一人民医院 First People's Hospital";
  h.patient_name = "Wang^Xiaoming=王^小明";
  h.patient_id = "P-0042";
  h.birth_date = "19800214";
  h.sex = "M";
  h.accession = "ACC-77";
  h.study_date = "20251128";
  h.modalities = "CT";
  h.study_description = "胸部 CT Chest";
  return h;
}

std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

class PdfFile {
 public:
  explicit PdfFile(const Bytes& bytes)
      : path_(fs::temp_directory_path() / ("cf-report-" + std::to_string(getpid()) + "-" +
                                           std::to_string(counter_++) + ".pdf")) {
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  ~PdfFile() { fs::remove(path_); }
  // pdftotext writes to standard output with "-"; pdfinfo always does.
  std::string Text(const std::string& options = "") const {
    return Capture("pdftotext -enc UTF-8 " + options + " '" + path_.string() + "' -");
  }
  std::string Info() const { return Capture("pdfinfo '" + path_.string() + "'"); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

int PageCount(const PdfFile& file) {
  const std::string info = file.Info();
  const auto at = info.find("Pages:");
  return at == std::string::npos ? -1 : std::stoi(info.substr(at + 6));
}

bool HavePoppler() { return std::system("command -v pdftotext >/dev/null 2>&1") == 0; }

TEST(ReportPdfTest, NamesReadAsOnPaper) {
  EXPECT_EQ(PrintableName("Wang^Xiaoming=王^小明"), "王小明 (Wang Xiaoming)");
  EXPECT_EQ(PrintableName("Doe^John^Q"), "Doe John Q");
  EXPECT_EQ(PrintableName("=陈^小明"), "陈小明");
  EXPECT_EQ(PrintableName(""), "");
  EXPECT_EQ(PrintableName("Kim^Minsu=김^민수=キム^ミンス"), "김민수 (Kim Minsu)");
}

// cairo and pango are the render module's (film/render_module.hpp): a
// process that has printed nothing has not mapped them. Each test runs in
// its own process (gtest_discover_tests), so this one sees the start.
TEST(ReportPdfTest, ThePrintingLibrariesAreLoadedByTheFirstPrint) {
  EXPECT_EQ(cf::testing::Mappings("libpango-1.0.so"), 0);
  EXPECT_EQ(cf::testing::Mappings("libcairo.so"), 0);
  EXPECT_EQ(cf::testing::Mappings("cloudfilm-render.so"), 0);
  const Report report = ChestCt();
  auto pdf = RenderReportPdf(report, report.versions[0], Header());
  ASSERT_TRUE(pdf) << pdf.error().message;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pdf->data()), 5), "%PDF-");
  EXPECT_GT(cf::testing::Mappings("cloudfilm-render.so"), 0);
  EXPECT_GT(cf::testing::Mappings("libpango-1.0.so"), 0);
  EXPECT_GT(cf::testing::Mappings("libcairo.so"), 0);
  auto module = LoadRenderModule();
  ASSERT_TRUE(module) << module.error().message;
  EXPECT_EQ((*module)->abi, kRenderAbi);
  EXPECT_EQ((*module)->types_stamp, kRenderTypesStamp);
  EXPECT_EQ(*LoadRenderModule(), *module);  // loaded once
}

TEST(ReportPdfTest, CarriesTheReportTheExamAndItsIdentity) {
  if (!HavePoppler()) GTEST_SKIP() << "pdftotext (poppler-utils) is not installed";
  const Report report = ChestCt();
  auto pdf = RenderReportPdf(report, report.versions[0], Header());
  ASSERT_TRUE(pdf) << pdf.error().message;
  ASSERT_GT(pdf->size(), 1000u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pdf->data()), 5), "%PDF-");
  PdfFile file(*pdf);
  const std::string text = file.Text();
  for (const char* expected :
       {"第一人民医院", "放射检查报告", "王小明 (Wang Xiaoming)", "P-0042", "ACC-77", "1980-02-14",
        "2025-11-28", "胸部 CT Chest", "右肺上叶见一结节", "Low-dose CT of the chest",
        "右肺上叶结节，建议 12 个月后随访。", "李明 Dr. Li", "2025-11-29 04:20 UTC",
        "Report r-5f2c · version 2 · final", "Page 1 of 1"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n--- text:\n" << text;
  }
  EXPECT_EQ(text.find("PRELIMINARY"), std::string::npos);
  EXPECT_EQ(PageCount(file), 1);
  EXPECT_NE(file.Info().find("Creator:         cloudfilm"), std::string::npos);
}

TEST(ReportPdfTest, LongReportsFlowOverPagesAndEveryPageSaysWhichItIs) {
  if (!HavePoppler()) GTEST_SKIP() << "pdftotext (poppler-utils) is not installed";
  Report report = ChestCt();
  std::string findings;
  for (int i = 1; i <= 120; ++i) {
    findings += "第 " + std::to_string(i) + " 段：肝脏形态大小正常，实质回声均匀。Paragraph " +
                std::to_string(i) + " of the findings.\n";
  }
  report.versions[0].content.sections = {{"所见 Findings", findings}};
  auto pdf = RenderReportPdf(report, report.versions[0], Header());
  ASSERT_TRUE(pdf) << pdf.error().message;
  PdfFile file(*pdf);
  const int pages = PageCount(file);
  EXPECT_GE(pages, 3);
  const std::string text = file.Text();
  // No paragraph is lost at a page break, and each page has its footer.
  for (int i = 1; i <= 120; ++i) {
    EXPECT_NE(text.find("Paragraph " + std::to_string(i) + " of the findings."), std::string::npos)
        << i;
  }
  for (int p = 1; p <= pages; ++p) {
    EXPECT_NE(text.find("Page " + std::to_string(p) + " of " + std::to_string(pages)),
              std::string::npos)
        << p;
  }
  EXPECT_NE(text.find("结论 Conclusion"), std::string::npos);
}

TEST(ReportPdfTest, PreliminaryIsMarkedAndUnsigned) {
  if (!HavePoppler()) GTEST_SKIP() << "pdftotext (poppler-utils) is not installed";
  Report report = ChestCt();
  ReportVersion& v = report.versions[0];
  v.content.status = ReportStatus::kPreliminary;
  v.content.signer.clear();
  v.content.signed_at_ms = 0;
  auto pdf = RenderReportPdf(report, v, Header());
  ASSERT_TRUE(pdf);
  const PdfFile file(*pdf);
  const std::string text = file.Text();
  // The watermark is set diagonally; poppler reads diagonal text only in
  // raw order, and then only in pieces.
  EXPECT_NE(file.Text("-raw").find("PRELIM"), std::string::npos);
  EXPECT_NE(text.find("Not signed"), std::string::npos);
  EXPECT_EQ(text.find("Signed by"), std::string::npos);
}

TEST(ReportPdfTest, TheSameVersionPrintsToTheSameBytes) {
  const Report report = ChestCt();
  auto first = RenderReportPdf(report, report.versions[0], Header());
  auto second = RenderReportPdf(report, report.versions[0], Header());
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
}

TEST(ReportPdfTest, TextThatLooksLikeMarkupIsPrintedAsIs) {
  if (!HavePoppler()) GTEST_SKIP() << "pdftotext (poppler-utils) is not installed";
  Report report = ChestCt();
  report.versions[0].content.conclusion = "<b>not bold</b> & <span>5 < 7</span>";
  auto pdf = RenderReportPdf(report, report.versions[0], Header());
  ASSERT_TRUE(pdf);
  const std::string text = PdfFile(*pdf).Text();
  EXPECT_NE(text.find("<b>not bold</b> & <span>5 < 7</span>"), std::string::npos) << text;
}

}  // namespace
}  // namespace cf::film
