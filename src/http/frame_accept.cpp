// SPDX-License-Identifier: Apache-2.0
#include "http/frame_accept.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "codec/frame_access.hpp"
#include "codec/transcode.hpp"

namespace cf::http {
namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";

// Table 8.7.3-5, with the older or informal names clients still send
// (PS3.18 8.7.3.3.2 Note 3 for x-jls and x-dicom-rle; dicomweb-client
// sends image/jhc, dcm4che image/jphc and image/j2c).
struct ImageType {
  std::string_view name;
  std::string_view canonical;
  std::array<std::string_view, 4> syntaxes;  // unused slots empty
  bool Has(std::string_view ts) const {
    return !ts.empty() && std::ranges::find(syntaxes, ts) != syntaxes.end();
  }
};

constexpr std::string_view kJpeg[] = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                                      "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"};
constexpr ImageType kImageTypes[] = {
    {"image/jpeg", "image/jpeg", {kJpeg[0], kJpeg[1], kJpeg[2], kJpeg[3]}},
    {"image/jls", "image/jls", {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}},
    {"image/x-jls", "image/jls", {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}},
    {"image/jp2", "image/jp2", {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}},
    {"image/j2c", "image/jp2", {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}},
    {"image/jpx", "image/jpx", {"1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93"}},
    {"image/jphc",
     "image/jphc",
     {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}},
    {"image/jhc",
     "image/jphc",
     {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}},
    {"image/dicom-rle", "image/dicom-rle", {"1.2.840.10008.1.2.5"}},
    {"image/x-dicom-rle", "image/dicom-rle", {"1.2.840.10008.1.2.5"}},
};

const ImageType* FindImageType(std::string_view name) {
  for (const ImageType& t : kImageTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The HTJ2K syntax a request for HTJ2K from a stored form is answered in:
// the one named when it is one our streams satisfy, lossless by default.
std::string_view Htj2kAnswer(std::string_view requested) {
  return requested == codec::kHtj2kSyntax ? codec::kHtj2kSyntax : codec::kHtj2kLosslessSyntax;
}

}  // namespace

std::string FrameEncoding::PartContentType() const {
  return media_type + "; transfer-syntax=" + transfer_syntax;
}

std::string_view CompressedFrameMediaType(std::string_view transfer_syntax) {
  for (const ImageType& t : kImageTypes) {
    if (t.Has(transfer_syntax)) return t.canonical;
  }
  return {};
}

std::vector<FrameEncoding> AcceptableFrameEncodings(const std::vector<MediaRange>& ranges,
                                                    std::string_view received_ts) {
  std::vector<FrameEncoding> out;
  const auto add = [&out](FrameSource source, std::string_view media_type, std::string_view ts) {
    FrameEncoding e{source, std::string(media_type), std::string(ts)};
    if (std::ranges::find(out, e) == out.end()) out.push_back(std::move(e));
  };
  const std::string received(received_ts);
  const bool compressed =
      codec::HasFrameFragments(received_ts) && !CompressedFrameMediaType(received_ts).empty();
  // Only objects received natively in little endian have a stored form
  // with compressed frames.
  const bool native_le =
      received_ts == codec::ts::kExplicitLittle || received_ts == codec::ts::kImplicitLittle;
  for (const MediaRange& range : ranges) {
    const bool wildcard = range.type == "*/*" || range.type == "multipart/*";
    if (!wildcard && range.type != "multipart/related") continue;
    const std::string inner = Lower(range.Param("type"));
    const std::string_view ts = range.Param("transfer-syntax");
    const bool any_ts = ts.empty() || ts == "*";
    if (wildcard || inner.empty() || inner == kOctetStream) {
      if (ts.empty() || ts == codec::ts::kExplicitLittle) {
        add(FrameSource::kNative, kOctetStream, codec::ts::kExplicitLittle);
      } else if (ts == "*") {
        // "*": whatever the origin server has; for a compressed instance
        // that is its frames as received, with decoding as the fallback.
        if (compressed) add(FrameSource::kAsReceived, kOctetStream, received);
        add(FrameSource::kNative, kOctetStream, codec::ts::kExplicitLittle);
      } else if (compressed && ts == received_ts) {
        add(FrameSource::kAsReceived, kOctetStream, received);
      } else if (native_le && (ts == codec::kHtj2kLosslessSyntax || ts == codec::kHtj2kSyntax)) {
        add(FrameSource::kStoredFormHtj2k, kOctetStream, Htj2kAnswer(ts));
      }
      continue;
    }
    if (inner == "image/*") {
      if (compressed && (any_ts || ts == received_ts)) {
        add(FrameSource::kAsReceived, CompressedFrameMediaType(received_ts), received);
      }
      continue;
    }
    const ImageType* type = FindImageType(inner);
    if (type == nullptr) continue;
    // Without a transfer syntax any of the type's is taken: the part says
    // which, and the frames are the received ones, so nothing is lost.
    if (compressed && type->Has(received_ts) && (any_ts || ts == received_ts)) {
      add(FrameSource::kAsReceived, inner, received);
    }
    if (native_le && type->canonical == "image/jphc" &&
        (any_ts || ts == codec::kHtj2kLosslessSyntax || ts == codec::kHtj2kSyntax)) {
      add(FrameSource::kStoredFormHtj2k, inner, Htj2kAnswer(ts));
    }
  }
  return out;
}

}  // namespace cf::http
