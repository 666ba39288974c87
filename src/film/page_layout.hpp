// SPDX-License-Identifier: Apache-2.0
// Page geometry the server and the render module must agree on: where the
// film sheet's images go is computed on both sides (SheetGrid). Internal
// to cf::film.
#pragma once

namespace cf::film {

namespace pdf {
inline constexpr double kA4Width = 595.276;  // points
inline constexpr double kA4Height = 841.89;
}  // namespace pdf

// The film sheet: A4 portrait, margins of 10 mm (a film uses the page).
namespace sheet {
inline constexpr double kPageWidth = pdf::kA4Width;
inline constexpr double kPageHeight = pdf::kA4Height;
inline constexpr double kMargin = 28.35;
inline constexpr double kHeaderHeight = 150.0;  // hospital, title, patient and exam, QR code
inline constexpr double kFooterHeight = 40.0;   // verification id and URL
inline constexpr double kQrSide = 118.0;
inline constexpr double kGap = 3.0;  // black between images, as on a film
}  // namespace sheet

}  // namespace cf::film
