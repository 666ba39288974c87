// SPDX-License-Identifier: Apache-2.0
// A small RFC 9110 media-range parser: commas and semicolons inside quoted
// strings are kept, names are compared case-insensitively, values are
// compared as given except the `type` parameter (a media type, so
// case-insensitive).
#include "http/accept.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "codec/transcode.hpp"

namespace cf::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on `separator` outside double quotes.
std::vector<std::string_view> SplitOutsideQuotes(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted) {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == separator && !quoted) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string Unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

Result<double> ParseQuality(std::string_view text) {
  double q = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), q);
  if (ec != std::errc{} || end != text.data() + text.size() || q < 0 || q > 1) {
    return Fail(ErrorCode::kInvalidArgument, "Accept has an invalid q-value");
  }
  return q;
}

bool IsDicomType(std::string_view type) {
  const std::string t = Lower(type);
  return t.empty() || t == "application/dicom";
}

}  // namespace

std::string_view MediaRange::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

Result<std::vector<MediaRange>> ParseAccept(std::string_view header) {
  std::vector<MediaRange> ranges;
  for (const std::string_view item : SplitOutsideQuotes(header, ',')) {
    if (Trim(item).empty()) continue;
    const auto pieces = SplitOutsideQuotes(item, ';');
    MediaRange range;
    range.type = Lower(Trim(pieces.front()));
    if (range.type == "*") range.type = "*/*";  // seen from old clients
    if (range.type.find('/') == std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument, "Accept has a media range without a '/'");
    }
    for (size_t i = 1; i < pieces.size(); ++i) {
      const std::string_view param = Trim(pieces[i]);
      if (param.empty()) continue;
      const size_t eq = param.find('=');
      const std::string name = Lower(Trim(param.substr(0, eq)));
      const std::string value =
          eq == std::string_view::npos ? std::string{} : Unquote(Trim(param.substr(eq + 1)));
      if (name == "q") {
        auto q = ParseQuality(value);
        if (!q) return std::unexpected(q.error());
        range.quality = *q;
      } else {
        range.params.emplace_back(name, value);
      }
    }
    if (range.quality > 0) ranges.push_back(std::move(range));
  }
  if (ranges.empty() && Trim(header).empty()) ranges.push_back({"*/*", 1.0, {}});
  std::ranges::stable_sort(
      ranges, [](const MediaRange& a, const MediaRange& b) { return a.quality > b.quality; });
  return ranges;
}

std::string RequestedTransferSyntax(const MediaRange& range) {
  const std::string_view ts = range.Param("transfer-syntax");
  return ts.empty() ? std::string(codec::ts::kExplicitLittle) : std::string(ts);
}

std::vector<DicomChoice> AcceptableDicom(const std::vector<MediaRange>& ranges) {
  std::vector<DicomChoice> choices;
  for (const MediaRange& range : ranges) {
    const std::string ts = RequestedTransferSyntax(range);
    if (range.type == "*/*" || range.type == "multipart/*") {
      choices.push_back({ts, true});
    } else if (range.type == "multipart/related" && IsDicomType(range.Param("type"))) {
      choices.push_back({ts, true});
    } else if (range.type == "application/dicom") {
      choices.push_back({ts, false});
    }
  }
  return choices;
}

bool AcceptsOctetStream(const std::vector<MediaRange>& ranges) {
  for (const MediaRange& range : ranges) {
    const std::string type = Lower(range.Param("type"));
    const bool wildcard = range.type == "*/*" || range.type == "multipart/*";
    const bool related =
        range.type == "multipart/related" && (type.empty() || type == "application/octet-stream");
    if (!wildcard && !related) continue;
    const std::string_view ts = range.Param("transfer-syntax");
    if (ts.empty() || ts == "*" || ts == codec::ts::kExplicitLittle) return true;
  }
  return false;
}

bool AcceptsDicomJson(const std::vector<MediaRange>& ranges) {
  for (const MediaRange& range : ranges) {
    if (range.type == "*/*" || range.type == "application/*" ||
        range.type == "application/dicom+json" || range.type == "application/json") {
      return true;
    }
  }
  return false;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  bool star = false;
  for (const std::string_view item : SplitOutsideQuotes(accept_encoding, ',')) {
    const auto pieces = SplitOutsideQuotes(item, ';');
    const std::string coding = Lower(Trim(pieces.front()));
    double quality = 1.0;
    for (size_t i = 1; i < pieces.size(); ++i) {
      const std::string_view param = Trim(pieces[i]);
      if (Lower(param.substr(0, 2)) == "q=") {
        quality = ParseQuality(Trim(param.substr(2))).value_or(0.0);
      }
    }
    if (coding == "gzip" || coding == "x-gzip") return quality > 0;
    if (coding == "*") star = quality > 0;
  }
  return star;
}

}  // namespace cf::http
