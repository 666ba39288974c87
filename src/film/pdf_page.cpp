// SPDX-License-Identifier: Apache-2.0
#include "film/pdf_page.hpp"

#include <cairo-pdf.h>

#include <fmt/format.h>

#include "core/time_text.hpp"

namespace cf::film::pdf {
namespace {

cairo_status_t AppendTo(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Bytes*>(closure);
  const auto* begin = reinterpret_cast<const std::byte*>(data);
  out->insert(out->end(), begin, begin + length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

SurfacePtr NewA4Pdf(Bytes& out, const std::string& title, int64_t created_ms) {
  SurfacePtr surface(cairo_pdf_surface_create_for_stream(AppendTo, &out, kA4Width, kA4Height));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "cloudfilm");
  // cairo's PDF metadata dates are ISO 8601.
  const std::string created = FormatUtc(created_ms, "%Y-%m-%dT%H:%M:%SZ");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, created.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_MOD_DATE, created.c_str());
  return surface;
}

Result<void> FinishPdf(SurfacePtr surface, std::string_view what) {
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return std::unexpected(
        Error{ErrorCode::kInternal,
              fmt::format("{} PDF: {}", what,
                          cairo_status_to_string(cairo_surface_status(surface.get())))});
  }
  return {};
}

LayoutPtr MakeLayout(cairo_t* cr, std::string_view text, double size, bool bold, double width,
                     double tab) {
  LayoutPtr layout(pango_cairo_create_layout(cr));
  PangoFontDescription* font = pango_font_description_from_string(kFontFamily);
  pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
  pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(layout.get(), font);
  pango_font_description_free(font);
  pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  if (tab > 0) {
    PangoTabArray* tabs =
        pango_tab_array_new_with_positions(1, TRUE, PANGO_TAB_LEFT, static_cast<int>(tab));
    pango_layout_set_tabs(layout.get(), tabs);
    pango_tab_array_free(tabs);
  }
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  return layout;
}

void Show(cairo_t* cr, PangoLayout* layout, double x, double y) {
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
}

}  // namespace cf::film::pdf
