// SPDX-License-Identifier: Apache-2.0
#include "dicom/file_meta_walk.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cf::dicom {
namespace {

void Put(Bytes& out, std::string_view text) {
  for (char c : text) out.push_back(static_cast<std::byte>(c));
}
void Put16(Bytes& out, uint32_t v) {
  out.push_back(static_cast<std::byte>(v & 0xFF));
  out.push_back(static_cast<std::byte>((v >> 8) & 0xFF));
}

// A Part 10 file: preamble, "DICM", (0002,0001) OB, (0002,0003) UI and
// (0002,0010) UI, then one data set element.
Bytes File(std::string_view sop_uid) {
  Bytes out(128, std::byte{0});
  Put(out, "DICM");
  Put16(out, 0x0002), Put16(out, 0x0001), Put(out, "OB"), Put16(out, 0), Put16(out, 2),
      Put16(out, 0);
  out.push_back(std::byte{0}), out.push_back(std::byte{1});
  Put16(out, 0x0002), Put16(out, 0x0003), Put(out, "UI"), Put16(out, sop_uid.size());
  Put(out, sop_uid);
  Put16(out, 0x0002), Put16(out, 0x0010), Put(out, "UI"), Put16(out, 20);
  Put(out, std::string_view("1.2.840.10008.1.2.1\0", 20));
  Put16(out, 0x0008), Put16(out, 0x0018);
  return out;
}

TEST(FileMetaWalkTest, FindsTheDatasetAndAMetaValueWithoutItsPadding) {
  const Bytes f = File(std::string_view("1.2.3.4\0", 8));  // even length, NUL-padded
  EXPECT_EQ(DatasetOffset(f), f.size() - 4);
  EXPECT_EQ(FileMetaText(f, 0x0003), "1.2.3.4");
  EXPECT_EQ(FileMetaText(f, 0x0010), "1.2.840.10008.1.2.1");
  EXPECT_EQ(FileMetaText(f, 0x0012), std::nullopt);
}

TEST(FileMetaWalkTest, ARawDatasetHasNoMetaAndStartsAtZero) {
  Bytes raw;
  Put16(raw, 0x0008), Put16(raw, 0x0018), Put(raw, "UI"), Put16(raw, 2), Put(raw, "1.");
  EXPECT_EQ(DatasetOffset(raw), 0u);
  EXPECT_EQ(FileMetaText(raw, 0x0003), std::nullopt);
}

TEST(FileMetaWalkTest, AnElementRunningPastTheEndStopsTheWalk) {
  Bytes f = File(std::string_view("1.2.3.4\0", 8));
  f.resize(128 + 4 + 14 + 8 + 4);  // cut inside (0002,0003)'s value
  EXPECT_EQ(DatasetOffset(f), f.size());
  EXPECT_EQ(FileMetaText(f, 0x0003), std::nullopt);
}

}  // namespace
}  // namespace cf::dicom
