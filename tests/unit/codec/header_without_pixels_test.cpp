// SPDX-License-Identifier: Apache-2.0
// The header kept for metadata must give the JSON the whole object gives
// (every attribute, Pixel Data as a BulkDataURI), for every transfer syntax
// of the shared test data and the synthetic modalities, and leave the
// pixels out.
#include "codec/header_without_pixels.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_io.hpp"
#include "dicom/dataset_json.hpp"
#include "small_synth_studies.hpp"
#include "support/temp_dir.hpp"

namespace cf::codec {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefix = "http://h/dicom-web/studies/1/series/2/instances/3/bulkdata/";

struct Checked {
  int files = 0;
  int kept = 0;
};

// For one file: the header's JSON equals the object's, and when the object
// has pixel data the header is smaller by at least the pixels.
void CheckFile(const fs::path& path, Checked& checked) {
  SCOPED_TRACE(path.string());
  auto bytes = ReadFile(path, 1ull << 31);
  ASSERT_TRUE(bytes);
  auto whole = dicom::DatasetToJson(*bytes, {.bulk_data_uri_prefix = kPrefix});
  if (!whole) return;  // not an object the archive would take
  ++checked.files;
  const std::optional<Bytes> header = HeaderWithoutPixels(*bytes);
  if (!header) return;
  ++checked.kept;
  EXPECT_LE(header->size(), kMaxHeaderBytes);
  auto json = dicom::DatasetToJson(*header, {.bulk_data_uri_prefix = kPrefix});
  ASSERT_TRUE(json) << json.error().message;
  EXPECT_EQ(*json, *whole);
  if (whole->find("\"7FE00010\"") != std::string::npos) {
    EXPECT_NE(json->find("bulkdata/7FE00010"), std::string::npos);
    EXPECT_LT(header->size(), bytes->size());
  }
}

TEST(HeaderWithoutPixelsTest, SyntheticObjectsGiveTheSameJsonWithoutTheirPixels) {
  cf::testing::TempDir dir;
  ASSERT_TRUE(WriteSmallSynthStudies(dir.Path() / "s"));
  Checked checked;
  for (const auto& e : fs::recursive_directory_iterator(dir.Path() / "s")) {
    if (e.path().extension() != ".dcm") continue;
    auto bytes = ReadFile(e.path(), 1ull << 30);
    ASSERT_TRUE(bytes);
    auto header = HeaderWithoutPixels(*bytes);
    ASSERT_TRUE(header) << e.path();
    // Only the pixel value goes: a CT slice of 256 x 256 x 2 bytes.
    EXPECT_LT(header->size() + 256 * 256, bytes->size()) << e.path();
    CheckFile(e.path(), checked);
  }
  EXPECT_GE(checked.kept, 8);
  EXPECT_EQ(checked.kept, checked.files);
}

TEST(HeaderWithoutPixelsTest, EverySharedTestFileGivesTheSameJson) {
  const fs::path root = cf::testing::SharedTestData();
  if (root.empty()) GTEST_SKIP() << "../shared/testdata not present";
  Checked checked;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    if (fs::relative(e.path(), root).string().starts_with("malformed")) continue;
    if (e.file_size() > (256ull << 20)) continue;
    CheckFile(e.path(), checked);
  }
  // Most real files are walkable; those that are not read the object.
  EXPECT_GT(checked.files, 20);
  EXPECT_GT(checked.kept * 2, checked.files);
}

TEST(HeaderWithoutPixelsTest, DamagedOrDeflatedFilesKeepNoHeader) {
  EXPECT_FALSE(HeaderWithoutPixels(ByteView{}));
  EXPECT_FALSE(HeaderWithoutPixels(Bytes(300, std::byte{0x41})));

  cf::testing::TempDir dir;
  ASSERT_TRUE(WriteSmallSynthStudies(dir.Path() / "s"));
  fs::path ct;
  for (const auto& e : fs::recursive_directory_iterator(dir.Path() / "s")) {
    if (e.path().extension() == ".dcm" && e.file_size() > 256 * 256 * 2) ct = e.path();
  }
  ASSERT_FALSE(ct.empty());
  auto whole = ReadFile(ct, 1ull << 30);
  ASSERT_TRUE(whole);
  ASSERT_TRUE(HeaderWithoutPixels(*whole));
  // Cut inside the pixel data: the value runs past the end of the file.
  Bytes cut(whole->begin(), whole->end() - 1000);
  EXPECT_FALSE(HeaderWithoutPixels(cut));
  // The same object deflated: its data set cannot be walked.
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(ct.c_str()).good());
  const fs::path deflated = dir.Path() / "deflated.dcm";
  ASSERT_TRUE(file.saveFile(deflated.c_str(), EXS_DeflatedLittleEndianExplicit).good());
  auto bytes = ReadFile(deflated, 1ull << 30);
  ASSERT_TRUE(bytes);
  EXPECT_FALSE(HeaderWithoutPixels(*bytes));
}

}  // namespace
}  // namespace cf::codec
