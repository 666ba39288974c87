// SPDX-License-Identifier: Apache-2.0
#include "crypto/base64.hpp"

#include <gtest/gtest.h>

namespace cf::crypto {
namespace {

Bytes B(std::string_view s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

// RFC 4648 §10.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    EXPECT_EQ(Base64Decode(encoded), B(plain)) << encoded;
  }
}

TEST(Base64Test, RefusesWhatIsNotPaddedStandardBase64) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v\n", "Zm9v Zg==", "Zm=v", "Zm9-", "Zm9_"}) {
    EXPECT_FALSE(Base64Decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace cf::crypto
