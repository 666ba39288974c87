// SPDX-License-Identifier: Apache-2.0
// Accept header parsing and the WADO-RS negotiation rules of PS3.18 8.7:
// q-values, quoted parameters, the explicit little endian default, '*',
// what is not acceptable, and Accept-Encoding for gzip.
#include "http/accept.hpp"

#include <gtest/gtest.h>

#include "http/gzip.hpp"

namespace cf::http {
namespace {

constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";

std::vector<MediaRange> Parse(std::string_view header) {
  auto ranges = ParseAccept(header);
  EXPECT_TRUE(ranges) << ranges.error().message;
  return ranges ? *ranges : std::vector<MediaRange>{};
}

TEST(AcceptTest, ParsesTypeParametersAndQuotes) {
  const auto ranges = Parse(
      "Multipart/Related; Type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.80");
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].type, "multipart/related");
  EXPECT_EQ(ranges[0].Param("type"), "application/dicom");
  EXPECT_EQ(ranges[0].Param("transfer-syntax"), "1.2.840.10008.1.2.4.80");
  EXPECT_DOUBLE_EQ(ranges[0].quality, 1.0);
}

TEST(AcceptTest, SortsByQualityKeepingOrderAndDropsZero) {
  const auto ranges = Parse(
      "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.5; q=0.5,"
      "multipart/related; type=\"application/dicom\"; transfer-syntax=*; q=0.9, "
      "application/dicom;q=0, */*;q=0.5");
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].Param("transfer-syntax"), "*");
  EXPECT_EQ(ranges[1].Param("transfer-syntax"), "1.2.840.10008.1.2.5");
  EXPECT_EQ(ranges[2].type, "*/*");
}

TEST(AcceptTest, CommaInsideQuotesDoesNotSplit) {
  const auto ranges = Parse("multipart/related; type=\"application/dicom\"; x=\"a,b\", image/png");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].Param("x"), "a,b");
  EXPECT_EQ(ranges[1].type, "image/png");
}

TEST(AcceptTest, EmptyHeaderMeansAnything) {
  const auto ranges = Parse("  ");
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].type, "*/*");
}

TEST(AcceptTest, MalformedRangesAreErrors) {
  EXPECT_FALSE(ParseAccept("dicom"));
  EXPECT_FALSE(ParseAccept("application/dicom; q=2"));
  EXPECT_FALSE(ParseAccept("application/dicom; q=high"));
}

TEST(AcceptableDicomTest, NoTransferSyntaxMeansExplicitLittleEndian) {
  const auto choices = AcceptableDicom(Parse("multipart/related; type=\"application/dicom\""));
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(choices[0].transfer_syntax, kExplicitLe);
  EXPECT_TRUE(choices[0].multipart);
  // No Accept header at all: the default media type, in explicit little endian.
  const auto defaults = AcceptableDicom(Parse(""));
  ASSERT_EQ(defaults.size(), 1u);
  EXPECT_EQ(defaults[0].transfer_syntax, kExplicitLe);
}

TEST(AcceptableDicomTest, StarMeansAsStoredAndOrderIsKept) {
  const auto choices =
      AcceptableDicom(Parse("multipart/related; type=application/dicom; transfer-syntax=*, "
                            "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.80; q=0.4"));
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].transfer_syntax, "*");
  EXPECT_TRUE(choices[0].multipart);
  EXPECT_EQ(choices[1].transfer_syntax, "1.2.840.10008.1.2.4.80");
  EXPECT_FALSE(choices[1].multipart);
}

TEST(AcceptableDicomTest, OtherTypesAreNotAcceptable) {
  EXPECT_TRUE(
      AcceptableDicom(Parse("multipart/related; type=\"application/octet-stream\"")).empty());
  EXPECT_TRUE(AcceptableDicom(Parse("application/dicom+json, image/jpeg")).empty());
  EXPECT_TRUE(AcceptableDicom(Parse("application/dicom; q=0")).empty());
}

TEST(AcceptOctetStreamTest, NativeFramesOnly) {
  EXPECT_TRUE(AcceptsOctetStream(Parse("multipart/related; type=\"application/octet-stream\"")));
  EXPECT_TRUE(AcceptsOctetStream(
      Parse("multipart/related; type=\"application/octet-stream\"; transfer-syntax=*")));
  EXPECT_TRUE(AcceptsOctetStream(Parse("")));
  EXPECT_FALSE(AcceptsOctetStream(Parse("multipart/related; type=\"image/jls\"")));
  EXPECT_FALSE(
      AcceptsOctetStream(Parse("multipart/related; type=\"application/octet-stream\"; "
                               "transfer-syntax=1.2.840.10008.1.2.4.80")));
}

TEST(AcceptDicomJsonTest, JsonAndWildcards) {
  EXPECT_TRUE(AcceptsDicomJson(Parse("application/dicom+json")));
  EXPECT_TRUE(AcceptsDicomJson(Parse("application/json, text/html;q=0.9")));
  EXPECT_TRUE(AcceptsDicomJson(Parse("")));
  EXPECT_FALSE(AcceptsDicomJson(Parse("multipart/related; type=\"application/dicom+xml\"")));
}

TEST(AcceptGzipTest, HonoursQualityAndStar) {
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("deflate;q=1.0, GZIP;q=0.5"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip("*, gzip;q=0"));
}

TEST(GzipTest, ProducesAGzipMember) {
  const std::string text(10000, 'a');
  auto packed = Gzip(AsBytes(text));
  ASSERT_TRUE(packed);
  ASSERT_GT(packed->size(), 18u);
  EXPECT_LT(packed->size(), 200u);
  EXPECT_EQ(static_cast<uint8_t>((*packed)[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>((*packed)[1]), 0x8b);
}

}  // namespace
}  // namespace cf::http
