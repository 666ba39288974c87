// SPDX-License-Identifier: Apache-2.0
// Content negotiation for DICOMweb (PS3.18 8.7): the Accept header parsed
// into media ranges with their parameters and q-values, and what a WADO-RS
// resource may answer with. Internal to cf::http; pure functions, so the
// rules are unit-tested without a server.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cf::http {

struct MediaRange {
  std::string type;      // lowercase "multipart/related", "*/*", "application/dicom"
  double quality = 1.0;  // the q parameter; 0 = not acceptable
  std::vector<std::pair<std::string, std::string>> params;  // lowercase names, unquoted values

  // The value of parameter `name` (lowercase); empty when absent.
  std::string_view Param(std::string_view name) const;
};

// The media ranges of an Accept header value (several headers joined with
// ','), best first: by q-value, then in the order given (RFC 9110 12.5.1).
// Ranges with q=0 are dropped. An empty or blank header gives "*/*".
// Errors: kInvalidArgument for a range without a '/' or a bad q-value.
Result<std::vector<MediaRange>> ParseAccept(std::string_view header);

// The transfer syntax a range asks for: "*" (as stored), a UID, or
// Explicit VR Little Endian when it names none (PS3.18 8.7.3.5.2).
std::string RequestedTransferSyntax(const MediaRange& range);

// One acceptable representation of an instance: a transfer syntax ("*" =
// as stored) in a multipart/related answer, or a single application/dicom
// body (which only a one-instance resource can give).
struct DicomChoice {
  std::string transfer_syntax;
  bool multipart = true;
};

// What the Accept header allows for the instances of a WADO-RS study,
// series or instance resource, best first. Empty: nothing we can answer
// with (406). multipart/related with type application/dicom (or no type),
// multipart/*, */* and application/dicom (single part) are understood.
std::vector<DicomChoice> AcceptableDicom(const std::vector<MediaRange>& ranges);

// Whether the Accept header allows native frames or bulk data
// (multipart/related; type="application/octet-stream", in explicit little
// endian or "*").
bool AcceptsOctetStream(const std::vector<MediaRange>& ranges);

// Whether the Accept header allows application/dicom+json (or
// application/json) for a metadata resource.
bool AcceptsDicomJson(const std::vector<MediaRange>& ranges);

// Whether an Accept-Encoding header value allows gzip.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace cf::http
