// SPDX-License-Identifier: Apache-2.0
#include "film/render_module.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "core/time_text.hpp"
#include "film/pdf_page.hpp"

namespace cf::film {
namespace {

using pdf::LayoutPtr;
using pdf::MakeLayout;
using pdf::Show;
using pdf::SurfacePtr;
using namespace sheet;

struct PngReader {
  const Bytes* bytes;
  size_t offset = 0;
};

cairo_status_t ReadFrom(void* closure, unsigned char* data, unsigned int length) {
  auto* reader = static_cast<PngReader*>(closure);
  if (reader->bytes->size() - reader->offset < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, reader->bytes->data() + reader->offset, length);
  reader->offset += length;
  return CAIRO_STATUS_SUCCESS;
}

Result<SurfacePtr> DecodePng(const Bytes& png, std::string_view what) {
  PngReader reader{&png};
  SurfacePtr surface(cairo_image_surface_create_from_png_stream(ReadFrom, &reader));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                 fmt::format("film sheet: {} is not a PNG we can read", what)});
  }
  return surface;
}

// Two columns of "label value" lines, each column its own layout.
std::string Column(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string text;
  for (const auto& [label, value] : rows) {
    if (value.empty()) continue;
    if (!text.empty()) text += '\n';
    text += label + "  " + value;
  }
  return text;
}

// The image centred in `cell`, scaled to fit with its aspect ratio kept.
void DrawImage(cairo_t* cr, cairo_surface_t* image, const SheetCell& cell) {
  const double w = cairo_image_surface_get_width(image);
  const double h = cairo_image_surface_get_height(image);
  if (w <= 0 || h <= 0) return;
  const double scale = std::min(cell.width / w, cell.height / h);
  const double x = cell.x + (cell.width - w * scale) / 2;
  const double y = cell.y + (cell.height - h * scale) / 2;
  cairo_save(cr);
  cairo_rectangle(cr, cell.x, cell.y, cell.width, cell.height);
  cairo_clip(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, image, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  cairo_paint(cr);
  cairo_restore(cr);
}

}  // namespace

Result<Bytes> DrawFilmSheetPdf(const FilmSheetContent& sheet) {
  // Decode everything first: a bad image is the caller's error, not a
  // half-drawn page.
  std::vector<SurfacePtr> images;
  const size_t shown = std::min(sheet.images.size(), kMaxSheetImages);
  for (size_t i = 0; i < shown; ++i) {
    auto image = DecodePng(sheet.images[i].png, fmt::format("image {}", i + 1));
    if (!image) return std::unexpected(image.error());
    images.push_back(std::move(*image));
  }
  SurfacePtr qr;
  if (!sheet.qr_png.empty()) {
    auto decoded = DecodePng(sheet.qr_png, "the QR code");
    if (!decoded) return std::unexpected(decoded.error());
    qr = std::move(*decoded);
  }

  Bytes out;
  SurfacePtr surface =
      pdf::NewA4Pdf(out, fmt::format("影像胶片 Film sheet {}", sheet.film_id), sheet.issued_at_ms);
  pdf::ContextPtr owner(cairo_create(surface.get()));
  cairo_t* cr = owner.get();
  const PrintHeader& h = sheet.header;

  // Header: hospital and title, then the patient and the exam in two
  // columns; the QR code on the right.
  const double text_width = kPageWidth - 2 * kMargin - kQrSide - 12;
  cairo_set_source_rgb(cr, 0, 0, 0);
  LayoutPtr hospital = MakeLayout(cr, h.hospital, 16, true, text_width);
  Show(cr, hospital.get(), kMargin, kMargin);
  LayoutPtr kind = MakeLayout(cr, "影像胶片 Film sheet", 11, true, text_width);
  Show(cr, kind.get(), kMargin, kMargin + 22);

  std::string born = PrintableDate(h.birth_date);
  if (const std::string age = AgeAtExam(h.birth_date, h.study_date); !age.empty()) {
    born += born.empty() ? age : fmt::format(" ({})", age);
  }
  const std::string left = Column({{"姓名 Name", PrintableName(h.patient_name)},
                                   {"性别 Sex", PrintableSex(h.sex)},
                                   {"出生 Born", born},
                                   {"患者号 ID", h.patient_id}});
  const std::string right = Column({{"检查日期 Exam date", PrintableDate(h.study_date)},
                                    {"检查类型 Modality", h.modalities},
                                    {"检查号 Accession", h.accession},
                                    {"检查项目 Exam", h.study_description}});
  const double column_width = text_width / 2 - 6;
  LayoutPtr left_layout = MakeLayout(cr, left, 9.5, false, column_width);
  Show(cr, left_layout.get(), kMargin, kMargin + 44);
  LayoutPtr right_layout = MakeLayout(cr, right, 9.5, false, column_width);
  Show(cr, right_layout.get(), kMargin + text_width / 2 + 6, kMargin + 44);

  if (qr) {
    // Nearest-neighbour: the modules stay sharp squares at any scale. The
    // PNG carries its own quiet zone.
    const double side = kQrSide;
    const double x = kPageWidth - kMargin - side;
    const double y = kMargin;
    const double w = cairo_image_surface_get_width(qr.get());
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, side / w, side / w);
    cairo_set_source_surface(cr, qr.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    LayoutPtr scan =
        MakeLayout(cr, "扫码查看影像和报告\nScan to view images and report", 7, false, side);
    pango_layout_set_alignment(scan.get(), PANGO_ALIGN_CENTER);
    Show(cr, scan.get(), x, y + side + 2);
  }

  // The film: black, the images in a grid, a caption in each cell.
  const SheetCell area = SheetImageArea();
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, area.x, area.y, area.width, area.height);
  cairo_fill(cr);
  const std::vector<SheetCell> cells = SheetGrid(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    DrawImage(cr, images[i].get(), cells[i]);
    if (!sheet.images[i].caption.empty()) {
      cairo_set_source_rgb(cr, 1, 1, 1);
      LayoutPtr caption = MakeLayout(cr, sheet.images[i].caption, 7, false, cells[i].width - 6);
      Show(cr, caption.get(), cells[i].x + 3, cells[i].y + 2);
    }
  }
  if (images.empty()) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    LayoutPtr none = MakeLayout(cr, "本检查无图像 This exam has no images", 12, false, area.width);
    pango_layout_set_alignment(none.get(), PANGO_ALIGN_CENTER);
    Show(cr, none.get(), area.x, area.y + area.height / 2 - 8);
  }

  // Footer: what this is a copy of, and where to check it.
  cairo_set_source_rgb(cr, 0, 0, 0);
  LayoutPtr footer =
      MakeLayout(cr,
                 fmt::format("胶片验证号 Film {}    签发 Issued {}\n验证 Verify: {}", sheet.film_id,
                             FormatUtc(sheet.issued_at_ms, "%Y-%m-%d %H:%M UTC"), sheet.verify_url),
                 8, false, kPageWidth - 2 * kMargin);
  Show(cr, footer.get(), kMargin, kPageHeight - kMargin - kFooterHeight + 8);
  cairo_show_page(cr);

  owner.reset();
  if (auto finished = pdf::FinishPdf(std::move(surface), "film sheet"); !finished) {
    return std::unexpected(finished.error());
  }
  return out;
}

}  // namespace cf::film
