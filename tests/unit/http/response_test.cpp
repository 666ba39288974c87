// SPDX-License-Identifier: Apache-2.0
// The check the server applies to every header before it is sent: no
// value may end the header block or start a header of its own.
#include "http/response.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cf::http {
namespace {

TEST(ResponseTest, OrdinaryHeadersAreSafe) {
  EXPECT_TRUE(IsSafeHeader("Content-Disposition", "attachment; filename=\"1.2.3.dcm\""));
  EXPECT_TRUE(IsSafeHeader("Set-Cookie", "cf_session=x; Path=/; HttpOnly; SameSite=Strict"));
  EXPECT_TRUE(IsSafeHeader("Warning", "299 cloudfilm \"\xE4\xB8\xAD\""));  // UTF-8 passes
  EXPECT_TRUE(IsSafeHeader("X-Empty", ""));
}

TEST(ResponseTest, LineBreaksAndNulInAValueAreUnsafe) {
  EXPECT_FALSE(IsSafeHeader("Location", "/a\r\nSet-Cookie: stolen=1"));
  EXPECT_FALSE(IsSafeHeader("Location", "/a\nX: y"));
  EXPECT_FALSE(IsSafeHeader("Location", "/a\rX: y"));
  EXPECT_FALSE(IsSafeHeader("Location", std::string("/a\0b", 4)));
}

TEST(ResponseTest, NamesMustBeTokens) {
  EXPECT_FALSE(IsSafeHeader("", "x"));
  EXPECT_FALSE(IsSafeHeader("Bad Name", "x"));
  EXPECT_FALSE(IsSafeHeader("Bad:Name", "x"));
  EXPECT_FALSE(IsSafeHeader("X\r\nY", "x"));
  EXPECT_TRUE(IsSafeHeader("X-Odd_but.legal~!", "x"));
}

}  // namespace
}  // namespace cf::http
