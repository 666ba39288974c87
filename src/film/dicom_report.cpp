// SPDX-License-Identifier: Apache-2.0
#include "film/dicom_report.hpp"

#include <array>
#include <charconv>
#include <chrono>

#include "core/log.hpp"
#include "dicom/report_document.hpp"

namespace cf::film {
namespace {

bool Contains(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (text.find(w) != std::string::npos) return true;
  }
  return false;
}

ReportKind KindOfTitle(const std::string& title) {
  if (Contains(title, {"Ultrasound", "ultrasound", "Sonograph", "Echocardiograph", "超声", "彩超"}))
    return ReportKind::kUltrasound;
  if (Contains(title, {"Endoscop", "endoscop", "Colonoscop", "Gastroscop", "内镜", "胃镜", "肠镜"}))
    return ReportKind::kEndoscopy;
  if (Contains(title, {"Patholog", "patholog", "Histolog", "病理"})) return ReportKind::kPathology;
  if (Contains(title, {"ECG", "EKG", "Electrocardiog", "electrocardiog", "心电"}))
    return ReportKind::kEcg;
  return ReportKind::kRadiology;
}

int Digits(std::string_view s, size_t at, size_t n, bool& ok) {
  int v = 0;
  if (at + n > s.size()) {
    ok = false;
    return 0;
  }
  const auto r = std::from_chars(s.data() + at, s.data() + at + n, v);
  if (r.ec != std::errc() || r.ptr != s.data() + at + n) ok = false;
  return v;
}

}  // namespace

std::optional<int64_t> ParseDicomDateTime(std::string_view dt) {
  while (!dt.empty() && dt.back() == ' ') dt.remove_suffix(1);
  int offset_minutes = 0;
  if (const size_t sign = dt.find_first_of("+-"); sign != std::string_view::npos) {
    const std::string_view zone = dt.substr(sign);
    if (zone.size() != 5) return std::nullopt;
    bool ok = true;
    offset_minutes = Digits(zone, 1, 2, ok) * 60 + Digits(zone, 3, 2, ok);
    if (!ok) return std::nullopt;
    if (zone[0] == '-') offset_minutes = -offset_minutes;
    dt = dt.substr(0, sign);
  }
  if (dt.size() < 8) return std::nullopt;
  bool ok = true;
  const int y = Digits(dt, 0, 4, ok), mo = Digits(dt, 4, 2, ok), d = Digits(dt, 6, 2, ok);
  const int h = dt.size() >= 10 ? Digits(dt, 8, 2, ok) : 0;
  const int mi = dt.size() >= 12 ? Digits(dt, 10, 2, ok) : 0;
  const int s = dt.size() >= 14 ? Digits(dt, 12, 2, ok) : 0;
  int64_t ms = 0;
  if (dt.size() > 15 && dt[14] == '.') {
    int64_t scale = 100;
    for (size_t i = 15; i < dt.size() && scale > 0; ++i, scale /= 10) {
      if (dt[i] < '0' || dt[i] > '9') return std::nullopt;
      ms += (dt[i] - '0') * scale;
    }
  }
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo),
                                         std::chrono::day(d)};
  if (!ok || !date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return (days * 86400 + h * 3600 + mi * 60 + s - offset_minutes * 60) * 1000 + ms;
}

Result<std::optional<NewReportVersion>> ReportFromDicom(std::string_view sop_class_uid,
                                                        ByteView bytes, std::string tenant) {
  if (!dicom::IsReportDocumentClass(sop_class_uid)) return std::optional<NewReportVersion>();
  auto doc = dicom::ReadReportDocument(bytes);
  if (!doc) return std::unexpected(doc.error());
  NewReportVersion v;
  v.tenant = std::move(tenant);
  v.study_uid = doc->study_uid;
  v.accession = doc->accession;
  v.kind = KindOfTitle(doc->title);
  ReportContent& c = v.content;
  for (auto& [title, text] : doc->sections) {
    if (!text.empty()) c.sections.push_back({std::move(title), std::move(text)});
  }
  c.conclusion = std::move(doc->conclusion);
  c.key_images = std::move(doc->key_images);
  c.pdf = std::move(doc->pdf);
  if (!c.pdf.empty() || doc->waveform) {
    // Neither has a verification flag: a reading physician and a content
    // time make it signed; an ECG without them is the machine's reading.
    c.source = doc->waveform ? "dicom-ecg" : "dicom-pdf";
    const auto when = ParseDicomDateTime(doc->content_datetime);
    if (!doc->reader.empty() && when) {
      c.status = ReportStatus::kFinal;
      c.signer = std::move(doc->reader);
      c.signed_at_ms = *when;
    }
  } else {
    c.source = "dicom-sr";
    const auto when = ParseDicomDateTime(doc->verified_at);
    if (doc->verified && !doc->verifier.empty() && when) {
      c.status = doc->has_predecessor ? ReportStatus::kAmended : ReportStatus::kFinal;
      c.signer = std::move(doc->verifier);
      c.signed_at_ms = *when;
    }
  }
  return std::optional<NewReportVersion>(std::move(v));
}

std::optional<Report> FileDicomReport(ReportStore& store, std::string_view sop_class_uid,
                                      ByteView bytes, std::string tenant, std::string received_by) {
  auto version = ReportFromDicom(sop_class_uid, bytes, std::move(tenant));
  if (!version || !*version) {
    if (!version) {
      log::Warn("report.dicom_unreadable", {{"error", version.error().message}});
    }
    return std::nullopt;
  }
  (*version)->received_by = std::move(received_by);
  auto filed = store.Submit(**version);
  // A second verified report of the exam is an amendment of the first; an
  // amendment whose predecessor never reached us is the first signed one.
  ReportStatus& status = (*version)->content.status;
  if (!filed && filed.error().code == ErrorCode::kConflict &&
      status != ReportStatus::kPreliminary) {
    status = status == ReportStatus::kFinal ? ReportStatus::kAmended : ReportStatus::kFinal;
    filed = store.Submit(**version);
  }
  if (!filed) {
    log::Warn("report.dicom_not_filed", {{"code", std::string(ToString(filed.error().code))},
                                         {"reason", filed.error().message}});
    return std::nullopt;
  }
  log::Info("report.dicom_filed", {{"source", (*version)->content.source},
                                   {"kind", std::string(KindName(filed->kind))},
                                   {"versions", filed->versions.size()}});
  return std::move(*filed);
}

}  // namespace cf::film
