// SPDX-License-Identifier: Apache-2.0
// The film sheet a kiosk prints beside the report: one A4 page laid out
// like a radiographic film. A header names the hospital, the patient and
// the exam; the key images sit in a grid on black; the QR code of the
// patient's share and the film's verification id and URL let whoever holds
// the paper open the exam and check that it is what the hospital issued.
// Drawn with cairo + pango like the report PDFs (report_pdf.hpp), in the
// render module, from images already rendered (codec::RenderImage, PNG):
// this part lays out, it does not decode DICOM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "film/print_header.hpp"

namespace cf::film {

// One image of the sheet: an 8-bit PNG (grey or RGB) and a short caption
// ("S2 #45": series and instance number).
struct SheetImage {
  Bytes png;
  std::string caption;
};

struct FilmSheetContent {
  PrintHeader header;
  std::string film_id;
  std::string verify_url;          // where anyone checks the film: .../verify/films/{id}
  std::string share_url;           // what the QR code carries (the patient's URL)
  Bytes qr_png;                    // that QR code as a PNG (http/qr_code.hpp), any size
  int64_t issued_at_ms = 0;        // the film's issuance: the PDF's dates
  std::vector<SheetImage> images;  // at most kMaxSheetImages are laid out
};

inline constexpr size_t kMaxSheetImages = 20;

// A rectangle on the page, in PDF points from the top left corner.
struct SheetCell {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
};

// The grid of a sheet of `count` images (1x1, 1x2, 2x2, 2x3, 3x3, 3x4,
// 4x4, 4x5 as needed; `count` above kMaxSheetImages counts as the
// maximum), cells row by row inside the image area, equal in size.
std::vector<SheetCell> SheetGrid(size_t count);
// The image area: below the header, above the footer.
SheetCell SheetImageArea();

// One A4 page. The bytes depend only on `sheet` (the PDF's dates are the
// film's issuance), so the same film prints the same file. Errors:
// kInvalidArgument for a PNG that does not decode (the message says which),
// kInternal for cairo failures or a missing render module.
Result<Bytes> RenderFilmSheetPdf(const FilmSheetContent& sheet);

}  // namespace cf::film
