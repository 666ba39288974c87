// SPDX-License-Identifier: Apache-2.0
// ParseInstance leaves long values (Pixel Data) in the caller's buffer
// rather than copying them; these check that it still walks and checks the
// whole object: the indexed attributes come out, and an object cut inside
// its pixels, or with a length past its end, is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "dicom/instance.hpp"
#include "dicom/synth/synth.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using cf::Bytes;
using cf::ByteView;
using cf::ErrorCode;

Bytes FirstSynthFile(const fs::path& dir, cf::dicom::SynthModality modality) {
  cf::dicom::SynthOptions o;
  o.instances_per_series = 1;
  o.modalities = {modality};
  o.charset = "gb18030";
  o.ct_size = 256;
  o.us_frames = 3;
  EXPECT_TRUE(cf::dicom::WriteSynthStudies(o, dir));
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".dcm") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), {});
    return Bytes(reinterpret_cast<const std::byte*>(s.data()),
                 reinterpret_cast<const std::byte*>(s.data()) + s.size());
  }
  ADD_FAILURE() << "no synthetic file";
  return {};
}

TEST(ParseInstanceTest, AttributesOfAnObjectWithLargePixelData) {
  cf::testing::TempDir dir;
  const Bytes file = FirstSynthFile(dir.Path(), cf::dicom::SynthModality::kCT);
  ASSERT_GT(file.size(), 128u * 1024);  // Pixel Data well over the load limit
  auto parsed = cf::dicom::ParseInstance(file);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->rows, 256);
  EXPECT_EQ(parsed->columns, 256);
  EXPECT_EQ(parsed->modality, "CT");
  EXPECT_TRUE(parsed->sop_instance_uid.starts_with("2.25."));
  EXPECT_EQ(parsed->specific_character_set, "GB18030");
  EXPECT_FALSE(parsed->patient_name.empty());
  EXPECT_TRUE(parsed->has_file_meta);
}

TEST(ParseInstanceTest, AnObjectCutInsideItsPixelDataIsRefused) {
  cf::testing::TempDir dir;
  for (auto modality : {cf::dicom::SynthModality::kCT, cf::dicom::SynthModality::kUS}) {
    const Bytes file =
        FirstSynthFile(dir.Path() / std::to_string(static_cast<int>(modality)), modality);
    ASSERT_TRUE(cf::dicom::ParseInstance(file));
    for (size_t cut : {size_t{1}, size_t{4096}, file.size() / 3}) {
      auto parsed = cf::dicom::ParseInstance(ByteView(file).first(file.size() - cut));
      ASSERT_FALSE(parsed) << "cut " << cut;
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidDicom);
    }
  }
}

TEST(ParseInstanceTest, BytesAfterThePixelDataAreRefused) {
  cf::testing::TempDir dir;
  Bytes file = FirstSynthFile(dir.Path(), cf::dicom::SynthModality::kCT);
  file.push_back(std::byte{0x7f});
  auto parsed = cf::dicom::ParseInstance(file);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidDicom);
}

}  // namespace
