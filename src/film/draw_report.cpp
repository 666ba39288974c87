// SPDX-License-Identifier: Apache-2.0
#include "film/render_module.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <memory>
#include <vector>

#include <fmt/format.h>

#include "core/time_text.hpp"
#include "film/pdf_page.hpp"

namespace cf::film {
namespace {

using pdf::LayoutPtr;
using pdf::Show;

// A4 in PDF points, with margins of 18 mm.
constexpr double kPageWidth = pdf::kA4Width;
constexpr double kPageHeight = pdf::kA4Height;
constexpr double kMargin = 51.0;
constexpr double kBodyWidth = kPageWidth - 2 * kMargin;
constexpr double kHeaderHeight = 78.0;  // hospital, title, exam line, rule
constexpr double kFooterHeight = 30.0;
constexpr double kBodyTop = kMargin + kHeaderHeight;
constexpr double kBodyBottom = kPageHeight - kMargin - kFooterHeight;

std::string_view KindTitle(ReportKind kind) {
  switch (kind) {
    case ReportKind::kRadiology:
      return "放射检查报告 Radiology report";
    case ReportKind::kUltrasound:
      return "超声检查报告 Ultrasound report";
    case ReportKind::kEndoscopy:
      return "内镜检查报告 Endoscopy report";
    case ReportKind::kPathology:
      return "病理诊断报告 Pathology report";
    case ReportKind::kEcg:
      return "心电图报告 ECG report";
  }
  return "检查报告 Report";
}

// Times are printed in UTC and say so: the paper must not depend on the
// time zone of the machine that printed it.
std::string PrintableTime(int64_t ms) { return FormatUtc(ms, "%Y-%m-%d %H:%M UTC"); }

// Report text fills the body's width unless told otherwise.
LayoutPtr MakeLayout(cairo_t* cr, std::string_view text, double size, bool bold,
                     double width = kBodyWidth, double tab = 0) {
  return pdf::MakeLayout(cr, text, size, bold, width, tab);
}

double HeightOf(PangoLayout* layout) {
  int width = 0, height = 0;
  pango_layout_get_size(layout, &width, &height);
  return static_cast<double>(height) / PANGO_SCALE;
}

// One line of the body, placed on a page.
struct PlacedLine {
  PangoLayoutLine* line = nullptr;  // owned by its layout
  int page = 0;
  double x = 0;         // of the line's logical start
  double baseline = 0;  // page coordinates
};

// Flows blocks of text down the body of as many pages as they need,
// breaking between lines. Measuring first lets every footer say "page i of
// n".
class Flow {
 public:
  explicit Flow(cairo_t* cr) : cr_(cr) {}

  // `tab`: one tab stop, in points from the left (a two-column table).
  void Add(std::string_view text, double size, bool bold, double space_before, double tab = 0) {
    if (text.empty()) return;
    layouts_.push_back(MakeLayout(cr_, text, size, bold, kBodyWidth, tab));
    PangoLayout* layout = layouts_.back().get();
    y_ += space_before;
    PangoLayoutIter* iter = pango_layout_get_iter(layout);
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(iter, nullptr, &logical);
      const double top = static_cast<double>(logical.y) / PANGO_SCALE;
      const double height = static_cast<double>(logical.height) / PANGO_SCALE;
      const double baseline =
          static_cast<double>(pango_layout_iter_get_baseline(iter)) / PANGO_SCALE;
      if (line_start_ < 0) line_start_ = top;
      double y = y_ + (top - line_start_);
      if (kBodyTop + y + height > kBodyBottom) {
        ++page_;
        y_ = -(top - line_start_);  // this line starts the new page's body
        y = 0;
      }
      lines_.push_back({pango_layout_iter_get_line_readonly(iter), page_,
                        kMargin + static_cast<double>(logical.x) / PANGO_SCALE,
                        kBodyTop + y + (baseline - top)});
      last_bottom_ = y + height;
    } while (pango_layout_iter_next_line(iter));
    pango_layout_iter_free(iter);
    y_ = last_bottom_;
    line_start_ = -1;
  }

  int pages() const { return page_ + 1; }
  const std::vector<PlacedLine>& lines() const { return lines_; }

 private:
  cairo_t* cr_;
  std::vector<LayoutPtr> layouts_;
  std::vector<PlacedLine> lines_;
  int page_ = 0;
  double y_ = 0;  // body offset where the next line may start
  double line_start_ = -1;
  double last_bottom_ = 0;
};

void DrawRule(cairo_t* cr, double y) {
  cairo_set_line_width(cr, 0.6);
  cairo_move_to(cr, kMargin, y);
  cairo_line_to(cr, kPageWidth - kMargin, y);
  cairo_stroke(cr);
}

void DrawWatermark(cairo_t* cr, std::string_view text) {
  cairo_save(cr);
  cairo_set_source_rgb(cr, 0.86, 0.86, 0.86);
  cairo_translate(cr, kPageWidth / 2, kPageHeight / 2);
  cairo_rotate(cr, -0.7);
  LayoutPtr layout = MakeLayout(cr, text, 44, true, kPageHeight);
  pango_layout_set_alignment(layout.get(), PANGO_ALIGN_CENTER);
  Show(cr, layout.get(), -kPageHeight / 2, -HeightOf(layout.get()) / 2);
  cairo_restore(cr);
}

std::string ExamLine(const PrintHeader& h) {
  std::string line = fmt::format("姓名 Name: {}", PrintableName(h.patient_name));
  if (!h.patient_id.empty()) line += fmt::format("    患者号 ID: {}", h.patient_id);
  if (!h.accession.empty()) line += fmt::format("    检查号 Accession: {}", h.accession);
  return line;
}

std::string InfoBlock(const Report& report, const ReportVersion& version, const PrintHeader& h) {
  std::string text;
  auto row = [&](std::string_view label, std::string_view value) {
    if (!value.empty()) text += fmt::format("{}\t{}\n", label, value);
  };
  row("姓名 Name", PrintableName(h.patient_name));
  row("性别 Sex", PrintableSex(h.sex));
  row("出生日期 Born", PrintableDate(h.birth_date));
  row("患者号 Patient ID", h.patient_id);
  row("检查号 Accession", h.accession.empty() ? report.accession : h.accession);
  row("检查日期 Exam date", PrintableDate(h.study_date));
  row("检查类型 Modality", h.modalities);
  row("检查项目 Exam", h.study_description);
  row("报告状态 Status",
      fmt::format("{} (version {})", StatusName(version.content.status), version.version));
  if (!text.empty()) text.pop_back();
  return text;
}

}  // namespace

Result<Bytes> DrawReportPdf(const Report& report, const ReportVersion& version,
                            const PrintHeader& header) {
  Bytes out;
  pdf::SurfacePtr surface = pdf::NewA4Pdf(
      out, fmt::format("{} {} v{}", KindTitle(report.kind), report.id, version.version),
      version.received_at_ms);
  pdf::ContextPtr cr(cairo_create(surface.get()));
  cairo_t* c = cr.get();

  const ReportContent& content = version.content;
  Flow flow(c);
  flow.Add(InfoBlock(report, version, header), 10, false, 0, /*tab=*/120);
  if (content.status == ReportStatus::kAmended) {
    flow.Add(fmt::format("修订报告 Amended report: this version ({}) replaces the earlier ones; "
                         "all versions are kept in the signed record.",
                         version.version),
             10, true, 8);
  }
  for (const auto& section : content.sections) {
    flow.Add(section.title, 11.5, true, 14);
    flow.Add(section.text, 10.5, false, 4);
  }
  if (!content.conclusion.empty()) {
    flow.Add("结论 Conclusion", 11.5, true, 14);
    flow.Add(content.conclusion, 10.5, false, 4);
  }
  if (!content.key_images.empty()) {
    flow.Add(fmt::format("关键图像 Key images: {}", content.key_images.size()), 9.5, false, 10);
  }
  if (content.signed_at_ms > 0) {
    flow.Add(fmt::format("报告医生 Signed by: {}    签发时间 Signed at: {}", content.signer,
                         PrintableTime(content.signed_at_ms)),
             10.5, true, 18);
  } else {
    flow.Add("未签发 Not signed: preliminary report, not valid for diagnosis", 10.5, true, 18);
  }

  const int pages = flow.pages();
  const std::string exam_line = ExamLine(header);
  size_t next_line = 0;
  for (int page = 0; page < pages; ++page) {
    if (content.status == ReportStatus::kPreliminary) DrawWatermark(c, "初步报告\nPRELIMINARY");
    cairo_set_source_rgb(c, 0, 0, 0);
    LayoutPtr hospital = MakeLayout(c, header.hospital, 15, true);
    pango_layout_set_alignment(hospital.get(), PANGO_ALIGN_CENTER);
    Show(c, hospital.get(), kMargin, kMargin);
    LayoutPtr kind = MakeLayout(c, KindTitle(report.kind), 13, true);
    pango_layout_set_alignment(kind.get(), PANGO_ALIGN_CENTER);
    Show(c, kind.get(), kMargin, kMargin + 24);
    LayoutPtr exam = MakeLayout(c, exam_line, 8.5, false);
    pango_layout_set_ellipsize(exam.get(), PANGO_ELLIPSIZE_END);
    Show(c, exam.get(), kMargin, kMargin + 50);
    DrawRule(c, kMargin + kHeaderHeight - 10);

    for (; next_line < flow.lines().size() && flow.lines()[next_line].page == page; ++next_line) {
      const PlacedLine& placed = flow.lines()[next_line];
      cairo_move_to(c, placed.x, placed.baseline);
      pango_cairo_show_layout_line(c, placed.line);
    }

    DrawRule(c, kPageHeight - kMargin - kFooterHeight + 6);
    LayoutPtr footer = MakeLayout(
        c,
        fmt::format("Report {} · version {} · {}    第 {} / {} 页  Page {} of {}\nSHA-256 {}",
                    report.id, version.version, StatusName(content.status), page + 1, pages,
                    page + 1, pages, version.sha256_hex),
        7, false);
    Show(c, footer.get(), kMargin, kPageHeight - kMargin - kFooterHeight + 10);
    cairo_show_page(c);
  }
  cr.reset();
  if (auto finished = pdf::FinishPdf(std::move(surface), "report"); !finished) {
    return std::unexpected(finished.error());
  }
  return out;
}

}  // namespace cf::film
