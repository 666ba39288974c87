// SPDX-License-Identifier: Apache-2.0
// Content negotiation for WADO-RS frames (PS3.18 8.7.3.3, Tables 8.7.3-4
// and 8.7.3-5): which encodings of an instance's frames the Accept header
// allows, best first. Whether the instance can really give one (frames
// that can be told apart, an eligible stored form) is only known once its
// blob is read, so the handler tries them in this order. Internal to
// cf::http; pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/accept.hpp"

namespace cf::http {

enum class FrameSource {
  kNative,          // decoded, explicit VR little endian samples
  kAsReceived,      // the received compressed frames (codec::EncapsulatedFrames)
  kStoredFormHtj2k  // HTJ2K made from the stored form (codec::StoredFormHtj2kFrames)
};

struct FrameEncoding {
  FrameSource source = FrameSource::kNative;
  std::string media_type;       // of each part: "application/octet-stream", "image/jls"...
  std::string transfer_syntax;  // of each part

  // "image/jls; transfer-syntax=1.2.840.10008.1.2.4.80".
  std::string PartContentType() const;
  bool operator==(const FrameEncoding&) const = default;
};

// The encodings the Accept `ranges` allow for the frames of an instance
// received in `received_ts`, best first, without repeats:
// - multipart/related with type application/octet-stream (or none), */*
//   and multipart/*: native samples without a transfer-syntax parameter or
//   with Explicit VR Little Endian; with "*" the received compressed frames
//   first (for compressed instances), then native; with the received
//   compressed transfer syntax, its frames; with HTJ2K lossless (.201) or
//   HTJ2K (.203) for a native instance, HTJ2K from its stored form.
// - multipart/related with an image type of Table 8.7.3-5 (image/jpeg,
//   image/jls, image/jp2, image/jpx, image/jphc, image/dicom-rle, and the
//   names clients also use: image/x-jls, image/j2c, image/jhc,
//   image/x-dicom-rle) and no transfer syntax, "*" or one of that type's:
//   the received frames when the instance's transfer syntax is of that
//   type; for image/jphc (image/jhc) and a native instance, HTJ2K from its
//   stored form. image/* takes the received frames in their own type.
// Parts are labelled with the media type the client named.
std::vector<FrameEncoding> AcceptableFrameEncodings(const std::vector<MediaRange>& ranges,
                                                    std::string_view received_ts);

// The media type of Table 8.7.3-5 for compressed frames in
// `transfer_syntax` ("image/jls"...); empty when it has none.
std::string_view CompressedFrameMediaType(std::string_view transfer_syntax);

}  // namespace cf::http
