// SPDX-License-Identifier: Apache-2.0
// The pieces of WADO-RS answers that need no server: the multipart/related
// writer's framing (RFC 2046) and the bounded cache behind metadata and
// frames (tokens, least-recently-used eviction, the size bound).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "http/bounded_cache.hpp"
#include "http/multipart_writer.hpp"

namespace cf::http {
namespace {

std::string BoundaryOf(const std::string& content_type) {
  const auto at = content_type.find("boundary=");
  return at == std::string::npos ? std::string{} : content_type.substr(at + 9);
}

TEST(MultipartWriterTest, FramesPartsWithCrlfDelimiters) {
  MultipartWriter writer;
  const std::string type = writer.ContentType("application/dicom");
  ASSERT_TRUE(type.starts_with("multipart/related; type=\"application/dicom\"; boundary="));
  const std::string b = BoundaryOf(type);
  ASSERT_GE(b.size(), 32u);
  std::string body = writer.PartHeader("application/dicom; transfer-syntax=1.2.840.10008.1.2.1", 3);
  body += "AAA";
  body += writer.PartHeader("application/dicom", 2, "http://h/x");
  body += "BB";
  body += writer.Close();
  const std::string expected =
      "--" + b + "\r\nContent-Type: application/dicom; transfer-syntax=1.2.840.10008.1.2.1" +
      "\r\nContent-Length: 3\r\n\r\nAAA" + "\r\n--" + b +
      "\r\nContent-Type: application/dicom\r\nContent-Length: 2" +
      "\r\nContent-Location: http://h/x\r\n\r\nBB" + "\r\n--" + b + "--\r\n";
  EXPECT_EQ(body, expected);
}

TEST(MultipartWriterTest, BoundariesDiffer) {
  EXPECT_NE(BoundaryOf(MultipartWriter().ContentType("a/b")),
            BoundaryOf(MultipartWriter().ContentType("a/b")));
}

TEST(BoundedCacheTest, FindsOnlyWithTheSameToken) {
  BoundedCache<std::string> cache(1000);
  cache.Put("k", "v1", std::make_shared<const std::string>("x"), 10);
  ASSERT_NE(cache.Find("k", "v1"), nullptr);
  EXPECT_EQ(*cache.Find("k", "v1"), "x");
  EXPECT_EQ(cache.Find("k", "v2"), nullptr);  // stale: dropped
  EXPECT_EQ(cache.Find("k", "v1"), nullptr);
  EXPECT_EQ(cache.UsedBytes(), 0u);
}

TEST(BoundedCacheTest, EvictsLeastRecentlyUsedToStayUnderTheBound) {
  BoundedCache<int> cache(1000);
  for (int i = 0; i < 4; ++i) {
    cache.Put("k" + std::to_string(i), "", std::make_shared<const int>(i), 240);
  }
  ASSERT_NE(cache.Find("k0", ""), nullptr);  // k0 is now the most recent
  cache.Put("k4", "", std::make_shared<const int>(4), 240);
  EXPECT_EQ(cache.Find("k1", ""), nullptr);  // the least recent went
  EXPECT_NE(cache.Find("k0", ""), nullptr);
  EXPECT_NE(cache.Find("k4", ""), nullptr);
  EXPECT_LE(cache.UsedBytes(), 1000u);
}

TEST(BoundedCacheTest, KeepsNothingLargerThanAQuarter) {
  BoundedCache<int> cache(1000);
  cache.Put("big", "", std::make_shared<const int>(1), 251);
  EXPECT_EQ(cache.Find("big", ""), nullptr);
}

TEST(BoundedCacheTest, AReaderKeepsItsValueAfterEviction) {
  BoundedCache<std::string> cache(100);
  cache.Put("a", "", std::make_shared<const std::string>("held"), 25);
  auto held = cache.Find("a", "");
  cache.Put("a", "new", std::make_shared<const std::string>("other"), 25);
  EXPECT_EQ(*held, "held");
}

}  // namespace
}  // namespace cf::http
