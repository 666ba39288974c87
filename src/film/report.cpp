// SPDX-License-Identifier: Apache-2.0
#include "film/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "core/bytes.hpp"
#include "crypto/sha256.hpp"
#include "dicom/instance.hpp"

namespace cf::film {
namespace {

// Far beyond any real report, far below what would strain a request.
constexpr size_t kMaxTextBytes = 256 * 1024;
constexpr size_t kMaxSections = 64;
constexpr size_t kMaxKeyImages = 1000;

}  // namespace

Result<void> ValidateContent(const ReportContent& c) {
  const auto bad = [](std::string message) { return Fail(ErrorCode::kInvalidArgument, message); };
  if (c.sections.size() > kMaxSections) return bad("a report has at most 64 sections");
  size_t text = c.conclusion.size();
  for (const auto& s : c.sections) text += s.title.size() + s.text.size();
  if (text > kMaxTextBytes) return bad("the report's text is larger than 256 KiB");
  const bool says_something =
      !c.conclusion.empty() ||
      std::ranges::any_of(c.sections, [](const ReportSection& s) { return !s.text.empty(); });
  if (!says_something && c.pdf.empty()) {
    return bad("a report needs a conclusion, a section with text, or a PDF");
  }
  if (c.status != ReportStatus::kPreliminary) {
    if (c.signer.empty()) return bad("a final or amended report names its signer");
    if (c.signed_at_ms <= 0) return bad("a final or amended report has its signing time");
  }
  if (c.key_images.size() > kMaxKeyImages) return bad("at most 1000 key images");
  for (const auto& uid : c.key_images) {
    if (!dicom::IsValidUid(uid)) return bad("key_images holds a value that is not a UID");
  }
  if (!c.pdf.empty() && (c.pdf.size() < 5 || std::memcmp(c.pdf.data(), "%PDF-", 5) != 0)) {
    return bad("pdf is not a PDF document");
  }
  return {};
}

bool MayFollow(std::optional<ReportStatus> latest, ReportStatus next) {
  if (!latest || *latest == ReportStatus::kPreliminary) return next != ReportStatus::kAmended;
  return next == ReportStatus::kAmended;
}

std::string CanonicalContent(const ReportContent& c) {
  // nlohmann's object is a std::map: keys come out sorted, and dump()
  // without indent writes no whitespace.
  nlohmann::json sections = nlohmann::json::array();
  for (const auto& s : c.sections) sections.push_back({{"text", s.text}, {"title", s.title}});
  nlohmann::json j = {
      {"conclusion", c.conclusion},
      {"key_images", c.key_images},
      {"sections", std::move(sections)},
      {"signed_at_ms", c.signed_at_ms},
      {"signer", c.signer},
      {"status", StatusName(c.status)},
  };
  if (!c.pdf.empty()) j["pdf_sha256"] = crypto::ToHex(crypto::Sha256(c.pdf));
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

}  // namespace cf::film
