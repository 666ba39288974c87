// SPDX-License-Identifier: Apache-2.0
// The film sheet's layout (grid geometry), its text read back with poppler's
// pdftotext, and that the same film prints the same bytes. Images and the
// QR code are checked with real renders in tests/unit/http/film_sheet_source_test.cpp.
#include "film/film_sheet.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/sha256.hpp"

namespace cf::film {
namespace {

namespace fs = std::filesystem;

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

bool HavePoppler() { return std::system("command -v pdftotext >/dev/null 2>&1") == 0; }

FilmSheetContent Sheet() {
  FilmSheetContent s;
  s.header.hospital = "第一人民医院 First People's Hospital";
  s.header.patient_name = "Wang^Xiaoming=王^小明";
  s.header.patient_id = "P-0042";
  s.header.birth_date = "19800214";
  s.header.sex = "M";
  s.header.accession = "ACC-77";
  s.header.study_date = "20251128";
  s.header.modalities = "CT";
  s.header.study_description = "胸部 CT Chest";
  s.film_id = "f-8a1c2d";
  s.verify_url = "https://film.example.cn/verify/films/f-8a1c2d";
  s.share_url = "https://film.example.cn/s/AAAAAAAAAAAAAAAAAAAAAA";
  s.issued_at_ms = 1764390000000;  // 2025-11-29 04:20 UTC
  return s;
}

TEST(FilmSheetTest, GridsGrowWithTheImagesAndStayInsideTheFilm) {
  const SheetCell area = SheetImageArea();
  EXPECT_GT(area.width, 500);
  EXPECT_GT(area.height, 550);
  EXPECT_TRUE(SheetGrid(0).empty());
  const std::pair<size_t, std::pair<int, int>> expected[] = {
      {1, {1, 1}}, {2, {1, 2}}, {3, {2, 2}},  {4, {2, 2}},  {5, {2, 3}},  {6, {2, 3}},
      {7, {3, 3}}, {9, {3, 3}}, {10, {3, 4}}, {12, {3, 4}}, {13, {4, 4}}, {20, {4, 5}}};
  for (const auto& [count, grid] : expected) {
    const auto cells = SheetGrid(count);
    ASSERT_EQ(cells.size(), count);
    const auto [columns, rows] = grid;
    // Equal cells, row by row, filling the area with 3 pt between them.
    const double width = (area.width - (columns - 1) * 3.0) / columns;
    const double height = (area.height - (rows - 1) * 3.0) / rows;
    for (size_t i = 0; i < count; ++i) {
      const int row = static_cast<int>(i) / columns, column = static_cast<int>(i) % columns;
      EXPECT_NEAR(cells[i].width, width, 1e-9) << count;
      EXPECT_NEAR(cells[i].height, height, 1e-9) << count;
      EXPECT_NEAR(cells[i].x, area.x + column * (width + 3), 1e-9) << count << " " << i;
      EXPECT_NEAR(cells[i].y, area.y + row * (height + 3), 1e-9) << count << " " << i;
      EXPECT_LE(cells[i].x + cells[i].width, area.x + area.width + 1e-9);
      EXPECT_LE(cells[i].y + cells[i].height, area.y + area.height + 1e-9);
    }
  }
  EXPECT_EQ(SheetGrid(35).size(), kMaxSheetImages);
}

TEST(FilmSheetTest, AgesAreYearsOrMonthsOnTheExamDate) {
  EXPECT_EQ(AgeAtExam("19800214", "20251128"), "45 岁 years");
  EXPECT_EQ(AgeAtExam("19800214", "20250213"), "44 岁 years");
  EXPECT_EQ(AgeAtExam("19800214", "20250214"), "45 岁 years");
  EXPECT_EQ(AgeAtExam("20250101", "20250920"), "8 个月 months");
  EXPECT_EQ(AgeAtExam("", "20250920"), "");
  EXPECT_EQ(AgeAtExam("2025XX01", "20250920"), "");
  EXPECT_EQ(AgeAtExam("20260101", "20250920"), "");
}

TEST(FilmSheetTest, NamesThePatientTheExamAndTheFilmInChineseAndEnglish) {
  if (!HavePoppler()) GTEST_SKIP() << "pdftotext (poppler-utils) is not installed";
  auto pdf = RenderFilmSheetPdf(Sheet());
  ASSERT_TRUE(pdf) << pdf.error().message;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pdf->data()), 5), "%PDF-");
  const fs::path path =
      fs::temp_directory_path() / ("cf-sheet-" + std::to_string(getpid()) + ".pdf");
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(pdf->data()), static_cast<std::streamsize>(pdf->size()));
  const std::string text = Capture("pdftotext -enc UTF-8 '" + path.string() + "' -");
  const std::string info = Capture("pdfinfo '" + path.string() + "'");
  fs::remove(path);
  for (const char* expected :
       {"第一人民医院", "影像胶片 Film sheet", "王小明 (Wang Xiaoming)", "男 Male", "1980-02-14",
        "45 岁 years", "P-0042", "2025-11-28", "CT", "ACC-77", "胸部 CT Chest", "f-8a1c2d",
        "2025-11-29 04:20 UTC", "https://film.example.cn/verify/films/f-8a1c2d", "本检查无图像"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n--- text:\n" << text;
  }
  EXPECT_NE(info.find("Pages:           1\n"), std::string::npos) << info;
  EXPECT_NE(info.find("Creator:         cloudfilm"), std::string::npos) << info;
}

TEST(FilmSheetTest, TheSameFilmPrintsTheSameBytes) {
  auto a = RenderFilmSheetPdf(Sheet());
  auto b = RenderFilmSheetPdf(Sheet());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(crypto::ToHex(crypto::Sha256(*a)), crypto::ToHex(crypto::Sha256(*b)));
  FilmSheetContent other = Sheet();
  other.film_id = "f-other";
  auto c = RenderFilmSheetPdf(other);
  ASSERT_TRUE(c);
  EXPECT_NE(*a, *c);
}

TEST(FilmSheetTest, RefusesAnImageThatIsNotAPng) {
  FilmSheetContent sheet = Sheet();
  sheet.images.push_back({Bytes(100, std::byte{7}), "Se 1"});
  auto pdf = RenderFilmSheetPdf(sheet);
  ASSERT_FALSE(pdf);
  EXPECT_EQ(pdf.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(pdf.error().message.find("image 1"), std::string::npos);
}

}  // namespace
}  // namespace cf::film
