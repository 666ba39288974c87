// SPDX-License-Identifier: Apache-2.0
#include "film/report.hpp"

#include <array>
#include <utility>

// Apart from report.cpp because the render module prints these names too.
namespace cf::film {
namespace {

constexpr std::array<std::pair<ReportKind, std::string_view>, 5> kKinds = {{
    {ReportKind::kRadiology, "radiology"},
    {ReportKind::kUltrasound, "ultrasound"},
    {ReportKind::kEndoscopy, "endoscopy"},
    {ReportKind::kPathology, "pathology"},
    {ReportKind::kEcg, "ecg"},
}};
constexpr std::array<std::pair<ReportStatus, std::string_view>, 3> kStatuses = {{
    {ReportStatus::kPreliminary, "preliminary"},
    {ReportStatus::kFinal, "final"},
    {ReportStatus::kAmended, "amended"},
}};

}  // namespace

std::string_view KindName(ReportKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return {};
}

std::optional<ReportKind> ParseKind(std::string_view name) {
  for (const auto& [k, n] : kKinds) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view StatusName(ReportStatus status) {
  for (const auto& [s, name] : kStatuses) {
    if (s == status) return name;
  }
  return {};
}

std::optional<ReportStatus> ParseStatus(std::string_view name) {
  for (const auto& [s, n] : kStatuses) {
    if (n == name) return s;
  }
  return std::nullopt;
}

}  // namespace cf::film
