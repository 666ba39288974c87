// SPDX-License-Identifier: Apache-2.0
// Query parsing is where client typos turn into either a clear 400 or a
// silently different query; these tests pin the strict side.
#include "http/query_params.hpp"

#include <gtest/gtest.h>

namespace cf::http {
namespace {

QueryParams MustParse(std::string_view query) {
  auto params = QueryParams::Parse(query);
  EXPECT_TRUE(params.has_value()) << query;
  return params.value_or(QueryParams{});
}

TEST(SplitTargetTest, SeparatesPathQueryAndDropsFragment) {
  const auto parts = SplitTarget("/api/studies?limit=5#top");
  EXPECT_EQ(parts.path, "/api/studies");
  EXPECT_EQ(parts.query, "limit=5");
  EXPECT_EQ(SplitTarget("/healthz").query, "");
  EXPECT_EQ(SplitTarget("/healthz").path, "/healthz");
}

TEST(PercentDecodeTest, DecodesEscapesAndPlusOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("%41b%2fc", false).value(), "Ab/c");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(PercentDecode("%E7%8E%8B%5E%E4%BC%9F", true).value(), "\xE7\x8E\x8B^\xE4\xBC\x9F");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  EXPECT_FALSE(PercentDecode("%4", false).has_value());
  EXPECT_FALSE(PercentDecode("abc%", false).has_value());
  EXPECT_FALSE(PercentDecode("%zz", false).has_value());
  EXPECT_FALSE(PercentDecode("a%00b", false).has_value());
  EXPECT_EQ(PercentDecode("%4", false).error().code, ErrorCode::kInvalidArgument);
}

TEST(QueryParamsTest, KeepsFirstValueAndTreatsEmptyAsAbsent) {
  const auto params = MustParse("name=Wang*&patient_id=&flag&&name=other&date=2024%2D01");
  EXPECT_EQ(params.Get("name").value(), "Wang*");
  EXPECT_FALSE(params.Get("patient_id").has_value());
  EXPECT_FALSE(params.Get("flag").has_value());
  EXPECT_FALSE(params.Get("missing").has_value());
  EXPECT_EQ(params.Get("date").value(), "2024-01");
  EXPECT_EQ(params.Items().size(), 5u);
}

TEST(QueryParamsTest, BadEscapeNamesTheParameter) {
  const auto params = QueryParams::Parse("limit=5&name=%G1");
  ASSERT_FALSE(params.has_value());
  EXPECT_EQ(params.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(params.error().message.find("'name'"), std::string::npos) << params.error().message;
}

TEST(PagingTest, DefaultsWhenAbsent) {
  const auto paging = GetPaging(MustParse(""));
  ASSERT_TRUE(paging.has_value());
  EXPECT_EQ(paging->limit, kDefaultLimit);
  EXPECT_EQ(paging->offset, 0);
}

TEST(PagingTest, AcceptsTheWholeRange) {
  const auto paging = GetPaging(MustParse("limit=1000&offset=123456"));
  ASSERT_TRUE(paging.has_value());
  EXPECT_EQ(paging->limit, 1000);
  EXPECT_EQ(paging->offset, 123456);
  EXPECT_EQ(GetPaging(MustParse("limit=0"))->limit, 0);
}

TEST(PagingTest, RejectsBadNumbersNamingTheParameter) {
  for (const char* query : {"limit=1001", "limit=-1", "limit=abc", "limit=10x", "limit=1e3",
                            "limit=99999999999999999999999"}) {
    const auto paging = GetPaging(MustParse(query));
    ASSERT_FALSE(paging.has_value()) << query;
    EXPECT_EQ(paging.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(paging.error().message.find("'limit'"), std::string::npos) << paging.error().message;
  }
  const auto offset = GetPaging(MustParse("offset=-5"));
  ASSERT_FALSE(offset.has_value());
  EXPECT_NE(offset.error().message.find("'offset'"), std::string::npos);
}

TEST(DicomDateTest, AcceptsOnlyRealCalendarDates) {
  EXPECT_TRUE(IsValidDicomDate("20240229"));
  EXPECT_TRUE(IsValidDicomDate("19991231"));
  EXPECT_FALSE(IsValidDicomDate("20230229"));
  EXPECT_FALSE(IsValidDicomDate("20241301"));
  EXPECT_FALSE(IsValidDicomDate("20240100"));
  EXPECT_FALSE(IsValidDicomDate("2024-01-01"));
  EXPECT_FALSE(IsValidDicomDate("2024010"));
  EXPECT_FALSE(IsValidDicomDate(""));
}

TEST(DateRangeTest, ParsesSingleDatesAndRanges) {
  auto single = ParseDateRange("date", "20240115");
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(single->from, "20240115");
  EXPECT_EQ(single->to, "20240115");

  auto range = ParseDateRange("date", "20240101-20240131");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->from, "20240101");
  EXPECT_EQ(range->to, "20240131");

  auto open_end = ParseDateRange("date", "20240101-");
  ASSERT_TRUE(open_end.has_value());
  EXPECT_EQ(open_end->from, "20240101");
  EXPECT_EQ(open_end->to, "");

  auto open_start = ParseDateRange("date", "-20240101");
  ASSERT_TRUE(open_start.has_value());
  EXPECT_EQ(open_start->from, "");
  EXPECT_EQ(open_start->to, "20240101");
}

TEST(DateRangeTest, RejectsMalformedAndReversedRanges) {
  for (const char* value : {"-", "2024", "20240132", "20240101-2024", "20240201-20240101",
                            "20240101-20240102-20240103"}) {
    const auto range = ParseDateRange("date", value);
    ASSERT_FALSE(range.has_value()) << value;
    EXPECT_NE(range.error().message.find("'date'"), std::string::npos);
  }
}

}  // namespace
}  // namespace cf::http
