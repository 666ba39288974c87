// SPDX-License-Identifier: Apache-2.0
#include "http/frame_accept.hpp"

#include <gtest/gtest.h>

namespace cf::http {
namespace {

constexpr std::string_view kNative = "1.2.840.10008.1.2.1";
constexpr std::string_view kJls = "1.2.840.10008.1.2.4.80";
constexpr std::string_view kBaseline = "1.2.840.10008.1.2.4.50";
constexpr std::string_view kHtj2kLossless = "1.2.840.10008.1.2.4.201";

std::vector<FrameEncoding> For(std::string_view accept, std::string_view received) {
  auto ranges = ParseAccept(accept);
  EXPECT_TRUE(ranges);
  return AcceptableFrameEncodings(*ranges, received);
}

FrameEncoding Native() {
  return {FrameSource::kNative, "application/octet-stream", std::string(kNative)};
}

TEST(FrameAcceptTest, DefaultAndOctetStreamAreNative) {
  for (std::string_view accept :
       {"", "*/*", "multipart/related; type=\"application/octet-stream\"",
        "multipart/related; type=application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"}) {
    SCOPED_TRACE(accept);
    EXPECT_EQ(For(accept, kJls), std::vector<FrameEncoding>{Native()});
  }
}

TEST(FrameAcceptTest, AnyTransferSyntaxGivesReceivedFramesThenNative) {
  // What OHIF (Cornerstone) sends.
  const auto ohif = "multipart/related; type=application/octet-stream; transfer-syntax=*";
  const auto jls = For(ohif, kJls);
  ASSERT_EQ(jls.size(), 2u);
  EXPECT_EQ(jls[0].source, FrameSource::kAsReceived);
  EXPECT_EQ(jls[0].PartContentType(),
            "application/octet-stream; transfer-syntax=" + std::string(kJls));
  EXPECT_EQ(jls[1], Native());
  // Native instances keep getting native bytes, stored form or not.
  EXPECT_EQ(For(ohif, kNative), std::vector<FrameEncoding>{Native()});
}

TEST(FrameAcceptTest, ImageMediaTypesMatchTheirTransferSyntaxes) {
  auto jls = For("multipart/related; type=\"image/jls\"", kJls);
  ASSERT_EQ(jls.size(), 1u);
  EXPECT_EQ(jls[0].PartContentType(), "image/jls; transfer-syntax=1.2.840.10008.1.2.4.80");
  // The old name is answered in the old name.
  auto x = For("multipart/related; type=\"image/x-jls\"", kJls);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].media_type, "image/x-jls");
  EXPECT_TRUE(For("multipart/related; type=\"image/jls\"", kBaseline).empty());
  EXPECT_TRUE(For("multipart/related; type=\"image/jls\"", kNative).empty());
  EXPECT_EQ(For("multipart/related; type=\"image/jpeg\"", kBaseline).size(), 1u);
  // A transfer syntax of another type, or of the type but not received.
  EXPECT_TRUE(For("multipart/related; type=\"image/jpeg\"; transfer-syntax=1.2.840.10008.1.2.4.70",
                  kBaseline)
                  .empty());
  auto any = For("multipart/related; type=\"image/*\"", "1.2.840.10008.1.2.5");
  ASSERT_EQ(any.size(), 1u);
  EXPECT_EQ(any[0].media_type, "image/dicom-rle");
}

TEST(FrameAcceptTest, Htj2kIsOfferedFromTheStoredFormOfNativeInstances) {
  for (std::string_view accept :
       {"multipart/related; type=\"image/jhc\"", "multipart/related; type=\"image/jphc\"",
        "multipart/related; type=application/octet-stream; "
        "transfer-syntax=1.2.840.10008.1.2.4.201"}) {
    SCOPED_TRACE(accept);
    auto out = For(accept, kNative);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].source, FrameSource::kStoredFormHtj2k);
    EXPECT_EQ(out[0].transfer_syntax, kHtj2kLossless);
  }
  // RPCL options need TLM markers our streams lack.
  EXPECT_TRUE(For("multipart/related; type=\"image/jphc\"; transfer-syntax=1.2.840.10008.1.2.4.202",
                  kNative)
                  .empty());
  // An instance received in HTJ2K gives its own frames.
  auto received = For("multipart/related; type=\"image/jphc\"", "1.2.840.10008.1.2.4.202");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].source, FrameSource::kAsReceived);
  EXPECT_EQ(received[0].transfer_syntax, "1.2.840.10008.1.2.4.202");
}

TEST(FrameAcceptTest, PreferenceFollowsQualityThenOrder) {
  auto out =
      For("multipart/related; type=\"application/octet-stream\"; q=0.5, "
          "multipart/related; type=\"image/jhc\"",
          kNative);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].source, FrameSource::kStoredFormHtj2k);
  EXPECT_EQ(out[1], Native());
  EXPECT_TRUE(For("application/dicom+json", kNative).empty());
}

}  // namespace
}  // namespace cf::http
