// SPDX-License-Identifier: Apache-2.0
#include "film/package_layout.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

namespace cf::film {
namespace {

using nlohmann::json;

// A report id becomes a folder name: nothing that could climb out of
// reports/ or mean something else to a file system.
bool IsSafeName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Error Malformed(const std::string& what) {
  return {ErrorCode::kInvalidArgument, "manifest.json: " + what};
}

}  // namespace

Result<PackageLayout> LayoutOf(std::string_view manifest) {
  const json m = json::parse(manifest, nullptr, false);
  if (m.is_discarded() || !m.is_object()) return std::unexpected(Malformed("not JSON"));
  if (m.value("format", "") != "cloudfilm-film/1") {
    return std::unexpected(Malformed("format is not cloudfilm-film/1"));
  }
  PackageLayout layout;
  try {
    layout.film_id = m.at("film_id").get<std::string>();
    layout.tenant = m.at("tenant").get<std::string>();
    layout.issued_at_ms = m.at("issued_at_ms").get<int64_t>();
    layout.suite = m.at("signature_suite").get<std::string>();
    layout.key_id = m.at("signing_key_id").get<std::string>();
    layout.supersedes = m.value("supersedes", "");
    const json& content = m.at("content");
    std::map<std::string, std::pair<int, int>> series;  // uid -> (number, objects so far)
    for (const json& o : content.at("objects")) {
      const std::string series_uid = o.at("series_uid").get<std::string>();
      auto [it, added] = series.try_emplace(series_uid, static_cast<int>(series.size()) + 1, 0);
      const int instance = ++it->second.second;
      if (it->second.first > 9'999'999 || instance > 9'999'999) {
        return std::unexpected(Malformed("more objects than PS3.10 file IDs can name"));
      }
      layout.objects.push_back({fmt::format("DICOM/S{:04d}/I{:04d}", it->second.first, instance),
                                o.at("sop_uid").get<std::string>(), o.value("version", 1),
                                o.at("sha256").get<std::string>(), o.value("size", uint64_t{0})});
    }
    for (const json& r : content.at("reports")) {
      PackagedReport report;
      report.report_id = r.at("report_id").get<std::string>();
      if (!IsSafeName(report.report_id)) {
        return std::unexpected(Malformed("a report id is not a safe file name"));
      }
      report.version = r.at("version").get<int>();
      report.sha256 = r.at("sha256").get<std::string>();
      const std::string stem = fmt::format("reports/{}/v{}", report.report_id, report.version);
      report.json_member = stem + ".json";
      report.pdf_member = stem + ".pdf";
      report.rendered_member = stem + ".rendered.pdf";
      layout.reports.push_back(std::move(report));
    }
  } catch (const json::exception& e) {
    return std::unexpected(Malformed(std::string("missing or malformed field: ") + e.what()));
  }
  return layout;
}

}  // namespace cf::film
