// SPDX-License-Identifier: Apache-2.0
#include "core/curl_library.hpp"

#include <gtest/gtest.h>

#include "support/process_maps.hpp"

namespace cf {
namespace {

// Each test runs in its own process (gtest_discover_tests): this one sees
// the process before anything asked for libcurl.
TEST(CurlLibraryTest, IsMappedOnlyOnceAskedFor) {
  EXPECT_EQ(cf::testing::Mappings("libcurl.so"), 0);
  auto curl = LoadCurl();
  ASSERT_TRUE(curl) << curl.error().message;
  EXPECT_GT(cf::testing::Mappings("libcurl.so"), 0);
  auto again = LoadCurl();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *curl);
}

TEST(CurlLibraryTest, DrivesAHandle) {
  auto loaded = LoadCurl();
  ASSERT_TRUE(loaded) << loaded.error().message;
  const CurlLibrary& curl = **loaded;
  CurlHandle handle(curl.easy_init());
  ASSERT_NE(handle, nullptr);
  EXPECT_EQ(curl.easy_setopt(handle.get(), CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
  EXPECT_EQ(curl.easy_setopt(handle.get(), CURLOPT_PROTOCOLS_STR, "gopher-nonsense"),
            CURLE_UNSUPPORTED_PROTOCOL);
  CurlList list(curl.slist_append(nullptr, "X-Test: 1"));
  ASSERT_NE(list, nullptr);
  EXPECT_STREQ(list->data, "X-Test: 1");
  EXPECT_STREQ(curl.easy_strerror(CURLE_COULDNT_CONNECT), "Couldn't connect to server");
}

}  // namespace
}  // namespace cf
