// SPDX-License-Identifier: Apache-2.0
// The printed pages (report PDFs, the film sheet) are drawn by a module the
// server loads on its first print, cloudfilm-render.so, because cairo and
// pango bring some thirty libraries (glib, fontconfig, freetype, harfbuzz,
// pixman, X11...) whose mapped pages would sit in every server's memory
// while it only receives and serves images. The module is built with the
// binary from these sources and exports one C symbol, kRenderEntry, that
// returns the RenderApi below. Internal to cf::film.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "film/film_sheet.hpp"
#include "film/print_header.hpp"
#include "film/report.hpp"

namespace cf::film {

// Bumped when RenderApi changes.
inline constexpr uint32_t kRenderAbi = 1;

// The sizes of what crosses the boundary, so that a module built from other
// sources (a stale build, another version) is refused rather than called.
inline constexpr uint64_t kRenderTypesStamp =
    sizeof(Report) * 1'000'003ULL + sizeof(ReportVersion) * 10'007ULL +
    sizeof(PrintHeader) * 1'009ULL + sizeof(FilmSheetContent) * 101ULL +
    sizeof(SheetImage) * 11ULL + sizeof(Error) * 3ULL + sizeof(Bytes);

struct RenderApi {
  uint32_t abi = 0;
  uint64_t types_stamp = 0;
  Result<Bytes> (*report_pdf)(const Report&, const ReportVersion&, const PrintHeader&) = nullptr;
  Result<Bytes> (*film_sheet_pdf)(const FilmSheetContent&) = nullptr;
};

inline constexpr const char* kRenderEntry = "cloudfilm_render_api";
inline constexpr const char* kRenderModuleFile = "cloudfilm-render.so";

// The module, loaded once (thread-safe); later calls return the same
// answer. kInternal when it is missing or does not match this binary.
Result<const RenderApi*> LoadRenderModule();

// Inside the module: the drawing behind RenderReportPdf and
// RenderFilmSheetPdf.
Result<Bytes> DrawReportPdf(const Report& report, const ReportVersion& version,
                            const PrintHeader& header);
Result<Bytes> DrawFilmSheetPdf(const FilmSheetContent& sheet);

}  // namespace cf::film
