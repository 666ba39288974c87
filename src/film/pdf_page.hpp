// SPDX-License-Identifier: Apache-2.0
// What the film part's printed pages share (report PDFs, the kiosk's film
// sheet): A4 in points, the CJK font stack, Pango layouts on cairo, a PDF
// surface written into memory, and the header fields as paper shows them.
// Internal to cf::film.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "film/page_layout.hpp"

namespace cf::film::pdf {

// fontconfig falls back per glyph, so Latin text and CJK text both find a
// face whichever of these is installed (Debian: fonts-wqy-microhei).
inline constexpr const char* kFontFamily =
    "Noto Sans CJK SC,WenQuanYi Micro Hei,DejaVu Sans,sans-serif";

struct GObjectUnref {
  void operator()(void* p) const { g_object_unref(p); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;

struct CairoDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, CairoDeleter>;

// An A4 PDF surface whose bytes are appended to `out` (which must outlive
// it), with its title, cloudfilm as creator, and `created_ms` as the
// creation and modification dates (fixed, so the same input gives the same
// bytes).
SurfacePtr NewA4Pdf(Bytes& out, const std::string& title, int64_t created_ms);

// Finishes the PDF; kInternal naming `what` if cairo failed on the way.
Result<void> FinishPdf(SurfacePtr surface, std::string_view what);

// Plain text, never Pango markup: names, descriptions and report text come
// from outside. Wrapped at `width` points; `tab` > 0 sets one tab stop.
LayoutPtr MakeLayout(cairo_t* cr, std::string_view text, double size, bool bold, double width,
                     double tab = 0);

void Show(cairo_t* cr, PangoLayout* layout, double x, double y);

}  // namespace cf::film::pdf
