// SPDX-License-Identifier: Apache-2.0
#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace cf::http {
namespace {

using Kind = RangeRequest::Kind;

TEST(ByteRangeTest, SingleRangesSelectInclusiveBytes) {
  auto r = ParseByteRange("bytes=0-99", 1000);
  ASSERT_EQ(r.kind, Kind::kPart);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.last, 99u);
  EXPECT_EQ(r.range.Length(), 100u);
  r = ParseByteRange("bytes=900-", 1000);
  ASSERT_EQ(r.kind, Kind::kPart);
  EXPECT_EQ(r.range.first, 900u);
  EXPECT_EQ(r.range.last, 999u);
  r = ParseByteRange("bytes=-10", 1000);
  ASSERT_EQ(r.kind, Kind::kPart);
  EXPECT_EQ(r.range.first, 990u);
  // A last byte past the end is cut to the end (RFC 9110 14.1.2).
  r = ParseByteRange(" bytes=500-5000 ", 1000);
  ASSERT_EQ(r.kind, Kind::kPart);
  EXPECT_EQ(r.range.last, 999u);
}

TEST(ByteRangeTest, WholeValueWhenTheHeaderCanBeIgnored) {
  EXPECT_EQ(ParseByteRange("", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("bytes=0-", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("bytes=-2000", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("bytes=0-1,5-9", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("items=0-1", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("bytes=9-1", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("bytes=a-b", 1000).kind, Kind::kWhole);
  EXPECT_EQ(ParseByteRange("bytes=99999999999999999999-", 1000).kind, Kind::kWhole);
}

TEST(ByteRangeTest, RangesBeyondTheEndAreUnsatisfiable) {
  EXPECT_EQ(ParseByteRange("bytes=1000-", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=2000-3000", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=-0", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=0-0", 0).kind, Kind::kUnsatisfiable);
}

}  // namespace
}  // namespace cf::http
