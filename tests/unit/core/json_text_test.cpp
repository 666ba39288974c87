// SPDX-License-Identifier: Apache-2.0
#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cf {
namespace {

std::string Quoted(std::string_view text) {
  std::string out = "prefix:";
  AppendJsonString(out, text);
  return out;
}

TEST(JsonTextTest, EscapesQuotesBackslashesAndControlCharactersOnly) {
  EXPECT_EQ(Quoted(""), R"(prefix:"")");
  EXPECT_EQ(Quoted("plain 中文 text"), R"(prefix:"plain 中文 text")");
  EXPECT_EQ(Quoted("say \"hi\"\\"), R"(prefix:"say \"hi\"\\")");
  EXPECT_EQ(Quoted("\b\f\n\r\t"), R"(prefix:"\b\f\n\r\t")");
  EXPECT_EQ(Quoted(std::string_view("a\x01\x1f\x7f"
                                    "b\0c",
                                    7)),
            "prefix:\"a\\u0001\\u001f\x7f"
            "b\\u0000c\"");
}

}  // namespace
}  // namespace cf
