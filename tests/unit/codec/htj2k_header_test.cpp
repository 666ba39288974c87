// SPDX-License-Identifier: Apache-2.0
#include "codec/htj2k_header.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "codec/htj2k.hpp"

namespace cf::codec {
namespace {

// A 64x64 16-bit frame as the stored form encodes it: 3 wavelet levels.
Bytes Encoded() {
  FrameShape shape;
  shape.width = 64;
  shape.height = 64;
  shape.bits_per_sample = 16;
  Bytes samples(size_t{64} * 64 * 2);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = std::byte(i * 7 % 251);
  auto stream = EncodeHtj2k(shape, samples);
  EXPECT_TRUE(stream.has_value());
  return stream.value_or(Bytes{});
}

// Where the payload of the first `marker` segment starts.
size_t SegmentOf(const Bytes& b, uint8_t marker) {
  for (size_t i = 2; i + 1 < b.size(); ++i) {
    if (b[i] == std::byte{0xFF} && b[i + 1] == std::byte{marker}) return i + 4;
  }
  ADD_FAILURE() << "no marker " << int{marker};
  return 0;
}

std::string ErrorOf(const Bytes& b) {
  auto coding = ReadHtj2kCoding(b);
  if (coding) return "accepted";
  EXPECT_EQ(coding.error().code, ErrorCode::kInvalidDicom);
  return coding.error().message;
}

TEST(Htj2kHeaderTest, ReadsTheStoredFormsCoding) {
  const Bytes stream = Encoded();
  auto coding = ReadHtj2kCoding(stream);
  ASSERT_TRUE(coding.has_value()) << coding.error().message;
  EXPECT_TRUE(coding->reversible);
  EXPECT_EQ(coding->quantization, 0);
  EXPECT_EQ(coding->decompositions, 3);  // a 64-sample side keeps its lowest band at 8
  EXPECT_EQ(coding->quantization_steps, 3u * coding->decompositions + 1);
}

// OpenJPH 0.9 asserts (aborts the process) on each of these.
TEST(Htj2kHeaderTest, RefusesAQuantizationThatIsNotTheWavelets) {
  Bytes irreversible = Encoded();
  irreversible[SegmentOf(irreversible, 0x52) + 9] = std::byte{0};  // 9-7, QCD still "none"
  EXPECT_EQ(ErrorOf(irreversible), "HTJ2K: quantization does not match the wavelet");
  Bytes expounded = Encoded();
  expounded[SegmentOf(expounded, 0x5C)] |= std::byte{0x02};  // steps for a 5-3 wavelet
  EXPECT_EQ(ErrorOf(expounded), "HTJ2K: quantization does not match the wavelet");
}

TEST(Htj2kHeaderTest, RefusesFewerStepsThanSubbands) {
  Bytes more_levels = Encoded();
  more_levels[SegmentOf(more_levels, 0x52) + 5] = std::byte{5};
  EXPECT_EQ(ErrorOf(more_levels), "HTJ2K: fewer quantization steps than subbands");
}

TEST(Htj2kHeaderTest, RefusesDamagedHeaders) {
  const Bytes good = Encoded();
  EXPECT_EQ(ErrorOf(Bytes(good.begin(), good.begin() + 30)), "HTJ2K: damaged main header");
  EXPECT_EQ(ErrorOf(Bytes(good.begin(), good.begin() + 2)), "HTJ2K: truncated main header");
  EXPECT_EQ(ErrorOf(Bytes(good.begin() + 1, good.end())), "HTJ2K: no start of codestream");
  Bytes wrong_length = good;
  wrong_length[SegmentOf(wrong_length, 0x52) - 2] = std::byte{0x7F};  // runs past the end
  EXPECT_EQ(ErrorOf(wrong_length), "HTJ2K: damaged main header");
  Bytes unknown_wavelet = good;
  unknown_wavelet[SegmentOf(unknown_wavelet, 0x52) + 9] = std::byte{2};
  EXPECT_EQ(ErrorOf(unknown_wavelet), "HTJ2K: unknown wavelet");
  Bytes no_qcd = good;
  no_qcd[SegmentOf(no_qcd, 0x5C) - 3] = std::byte{0x5F};  // an unknown marker in its place
  EXPECT_EQ(ErrorOf(no_qcd), "HTJ2K: no quantization (QCD)");
}

}  // namespace
}  // namespace cf::codec
