// SPDX-License-Identifier: Apache-2.0
// Which images a film sheet shows, and a whole sheet from a real archive:
// rendered with the images' own window, read back by poppler (pdftoppm) and
// zbar (zbarimg), independent of cairo and libqrencode.
#include "http/film_sheet_source.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "dicom/key_object_selection.hpp"
#include "support/dicom_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/test_archive.hpp"

namespace cf::http {
namespace {

namespace fs = std::filesystem;

catalog::InstanceRecord Image(std::string uid, int number) {
  catalog::InstanceRecord r;
  r.sop_instance_uid = std::move(uid);
  r.instance_number = number;
  r.rows = 8;
  r.columns = 8;
  return r;
}

SheetSeries Series(std::string uid, int number, int images) {
  SheetSeries s{uid, number, {}};
  for (int i = 1; i <= images; ++i) s.images.push_back(Image(uid + "." + std::to_string(i), i));
  return s;
}

std::vector<std::string> Uids(const std::vector<SheetPick>& picks) {
  std::vector<std::string> out;
  for (const auto& p : picks) out.push_back(p.image->sop_instance_uid);
  return out;
}

TEST(FilmSheetSourceTest, KeyImagesWinInTheirOrder) {
  const std::vector<SheetSeries> series = {Series("1.1", 1, 10), Series("1.2", 2, 5)};
  const auto picks = PickSheetImages(series, {"1.2.3", "1.1.7", "9.9.9", "1.2.3"});
  EXPECT_EQ(Uids(picks), (std::vector<std::string>{"1.2.3", "1.1.7"}));
  EXPECT_EQ(picks[0].series_number, 2);
}

TEST(FilmSheetSourceTest, WithoutKeyImagesEachSeriesIsSampledThroughItsStack) {
  const std::vector<SheetSeries> series = {Series("1.1", 1, 100), Series("1.2", 2, 3),
                                           Series("1.3", 3, 0)};
  const auto picks = PickSheetImages(series, {"not.in.the.exam"});
  // 12 slots for 2 series with images: 6 each, or all of a short one; the
  // middle of each sixth of the long stack.
  EXPECT_EQ(Uids(picks), (std::vector<std::string>{"1.1.9", "1.1.26", "1.1.42", "1.1.59", "1.1.76",
                                                   "1.1.92", "1.2.1", "1.2.2", "1.2.3"}));
  std::vector<SheetSeries> many;
  for (int i = 1; i <= 30; ++i) many.push_back(Series("2." + std::to_string(i), i, 4));
  EXPECT_EQ(PickSheetImages(many, {}).size(), film::kMaxSheetImages);
  EXPECT_TRUE(PickSheetImages({}, {}).empty());
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

bool Have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// A binary PGM (P5) as pdftoppm -gray writes it.
struct Gray {
  int width = 0, height = 0;
  std::string pixels;
  int At(double fx, double fy) const {
    const int x = static_cast<int>(fx * width), y = static_cast<int>(fy * height);
    return static_cast<unsigned char>(pixels[static_cast<size_t>(y) * width + x]);
  }
};

Gray ReadPgm(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int max = 0;
  Gray g;
  in >> magic >> g.width >> g.height >> max;
  in.get();
  g.pixels.assign(std::istreambuf_iterator<char>(in), {});
  return g;
}

// A Key Object Selection document of the exam: `code` is its title (CID
// 7010), `refs` the images it references.
Bytes Kos(const std::string& study, const std::string& uid, const std::string& code,
          const std::vector<std::string>& refs) {
  cf::testing::DicomBuilder b;
  b.Study(study)
      .Series(study + ".99")
      .Sop(uid)
      .Patient("P-7", "Wang^Xiaoming")
      .Set("SOPClassUID", std::string(dicom::kKeyObjectSelectionClass))
      .Set("Modality", "KO")
      .Set("ValueType", "CONTAINER")
      .Set("ConceptNameCodeSequence[0].CodeValue", code)
      .Set("ConceptNameCodeSequence[0].CodingSchemeDesignator", "DCM")
      .Set("ConceptNameCodeSequence[0].CodeMeaning", "title");
  for (size_t i = 0; i < refs.size(); ++i) {
    const std::string item = "ContentSequence[" + std::to_string(i) + "].";
    b.Set(item + "RelationshipType", "CONTAINS")
        .Set(item + "ValueType", "IMAGE")
        .Set(item + "ReferencedSOPSequence[0].ReferencedSOPClassUID", "1.2.840.10008.5.1.4.1.1.2")
        .Set(item + "ReferencedSOPSequence[0].ReferencedSOPInstanceUID", refs[i]);
  }
  return b.Build();
}

// A radiologist's "Of Interest" selection is what the sheet shows; images
// a technologist rejected ("Rejected for Quality Reasons") are never
// printed, neither selected nor sampled.
TEST(FilmSheetSourceTest, KeyObjectSelectionsPickTheImagesAndRejectionsWithdrawThem) {
  cf::testing::TempDir dir;
  cf::testing::TestArchive archive;
  ASSERT_TRUE(archive.Open(dir.Path() / "data"));
  const std::string study = "1.2.826.0.7.2";
  const std::string series = study + ".1";
  for (int i = 1; i <= 10; ++i) {
    auto bytes = cf::testing::DicomBuilder()
                     .Study(study)
                     .Series(series)
                     .Sop(series + "." + std::to_string(i))
                     .Patient("P-7", "Wang^Xiaoming")
                     .Set("SeriesNumber", "1")
                     .Set("InstanceNumber", std::to_string(i))
                     .Set("Modality", "CT")
                     .Pixels(16, 16)
                     .Build();
    ASSERT_TRUE(archive.archive->Ingest(bytes, {"test", "", "default"}));
  }
  film::Film film;
  film.id = "f-0002";
  film.tenant = "default";
  film.study_uid = study;
  const SheetRequest request{"第一人民医院", "", "http://127.0.0.1:8080/verify/films/f-0002"};
  auto captions = [&] {
    std::vector<std::string> out;
    auto sheet =
        BuildFilmSheet(*archive.archive, nullptr, catalog::Scope::Of("default"), film, request);
    EXPECT_TRUE(sheet) << sheet.error().message;
    if (sheet) {
      for (const auto& image : sheet->images) out.push_back(image.caption);
    }
    return out;
  };

  const Bytes rejection = Kos(study, study + ".99.1", "113001", {series + ".3", series + ".5"});
  auto read = dicom::ReadKeyObjectSelection(rejection);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->kind, dicom::KeySelectionKind::kRejects);
  EXPECT_EQ(read->sop_instance_uids, (std::vector<std::string>{series + ".3", series + ".5"}));
  ASSERT_TRUE(archive.archive->Ingest(rejection, {"test", "", "default"}));
  EXPECT_EQ(captions(),
            (std::vector<std::string>{"Se 1  Im 1", "Se 1  Im 2", "Se 1  Im 4", "Se 1  Im 6",
                                      "Se 1  Im 7", "Se 1  Im 8", "Se 1  Im 9", "Se 1  Im 10"}))
      << "sampling skips the rejected images";

  // Teaching files are no patient's film.
  ASSERT_TRUE(archive.archive->Ingest(Kos(study, study + ".99.2", "113004", {series + ".2"}),
                                      {"test", "", "default"}));
  EXPECT_EQ(captions().size(), 8u);
  ASSERT_TRUE(archive.archive->Ingest(
      Kos(study, study + ".99.3", "113000", {series + ".7", series + ".3", series + ".9"}),
      {"test", "", "default"}));
  EXPECT_EQ(captions(), (std::vector<std::string>{"Se 1  Im 7", "Se 1  Im 9"}))
      << "the selection, in its order, without the rejected image";
  EXPECT_EQ(dicom::ReadKeyObjectSelection(cf::testing::DicomBuilder().Build()).error().code,
            ErrorCode::kUnsupported);
}

TEST(FilmSheetSourceTest, ASheetFromTheArchiveShowsWindowedImagesAndAQrCodeThatDecodes) {
  cf::testing::TempDir dir;
  cf::testing::TestArchive archive;
  ASSERT_TRUE(archive.Open(dir.Path() / "data"));
  const std::string study = "1.2.826.0.7.1";
  for (int s = 1; s <= 2; ++s) {
    for (int i = 1; i <= (s == 1 ? 10 : 3); ++i) {
      const std::string series = study + "." + std::to_string(s);
      auto bytes = cf::testing::DicomBuilder()
                       .Study(study)
                       .Series(series)
                       .Sop(series + "." + std::to_string(i))
                       .Patient("P-7", "Wang^Xiaoming")
                       .Set("SeriesNumber", std::to_string(s))
                       .Set("InstanceNumber", std::to_string(i))
                       .Set("Modality", "CT")
                       // Every stored value is above the centre: the image's
                       // own window makes it white.
                       .Set("WindowCenter", "0")
                       .Set("WindowWidth", "1")
                       .Pixels(64, 64)
                       .Build();
      auto stored = archive.archive->Ingest(bytes, {"test", "", "default"});
      ASSERT_TRUE(stored) << stored.error().message;
    }
  }
  film::Film film;
  film.id = "f-0001";
  film.tenant = "default";
  film.study_uid = study;
  film.issued_at_ms = 1764390000000;
  SheetRequest request{"第一人民医院", "http://127.0.0.1:8080/s/QUJDREVGR0hJSktMTU5PUA",
                       "http://127.0.0.1:8080/verify/films/f-0001"};
  auto sheet =
      BuildFilmSheet(*archive.archive, nullptr, catalog::Scope::Of("default"), film, request);
  ASSERT_TRUE(sheet) << sheet.error().message;
  ASSERT_EQ(sheet->images.size(), 9u);  // 6 of the 10, all 3 of the other series
  EXPECT_EQ(sheet->images[0].caption, "Se 1  Im 1");
  EXPECT_EQ(sheet->images[8].caption, "Se 2  Im 3");
  EXPECT_EQ(sheet->header.patient_name, "Wang^Xiaoming");
  auto pdf = film::RenderFilmSheetPdf(*sheet);
  ASSERT_TRUE(pdf) << pdf.error().message;
  // Another hospital's scope sees no such exam.
  EXPECT_FALSE(BuildFilmSheet(*archive.archive, nullptr, catalog::Scope::Of("h2"), film, request));

  if (!Have("pdftoppm") || !Have("zbarimg")) {
    GTEST_SKIP() << "pdftoppm (poppler-utils) or zbarimg (zbar-tools) is not installed";
  }
  const fs::path pdf_path = dir.Path() / "sheet.pdf";
  std::ofstream(pdf_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(pdf->data()), static_cast<std::streamsize>(pdf->size()));
  ASSERT_EQ(std::system(("pdftoppm -r 100 -gray -singlefile '" + pdf_path.string() + "' '" +
                         (dir.Path() / "page").string() + "'")
                            .c_str()),
            0);
  const fs::path page = dir.Path() / "page.pgm";
  const std::string decoded = Capture("zbarimg -q --raw '" + page.string() + "'");
  EXPECT_EQ(decoded, request.share_url + "\n");
  // 3x3 grid: the centres of the cells are the white images, the gaps
  // between them and the film's last (empty) cell are black.
  const Gray g = ReadPgm(page);
  ASSERT_GT(g.width, 500);
  const film::SheetCell area = film::SheetImageArea();
  const auto cells = film::SheetGrid(9);
  const double page_w = 595.276, page_h = 841.89;
  for (const auto& c : cells) {
    EXPECT_GT(g.At((c.x + c.width / 2) / page_w, (c.y + c.height / 2) / page_h), 200);
  }
  EXPECT_LT(g.At((cells[0].x + cells[0].width + 1.5) / page_w,
                 (cells[0].y + cells[0].height / 2) / page_h),
            60)
      << "the gap between two images is film black";
  EXPECT_LT(g.At((area.x + 2) / page_w, (area.y + 2) / page_h), 255);
}

}  // namespace
}  // namespace cf::http
