// SPDX-License-Identifier: Apache-2.0
// The render module's only exported symbol (the rest is hidden: see
// src/film/CMakeLists.txt).
#include "film/render_module.hpp"

extern "C" __attribute__((visibility("default"))) const cf::film::RenderApi*
cloudfilm_render_api() {
  static const cf::film::RenderApi api{
      .abi = cf::film::kRenderAbi,
      .types_stamp = cf::film::kRenderTypesStamp,
      .report_pdf = cf::film::DrawReportPdf,
      .film_sheet_pdf = cf::film::DrawFilmSheetPdf,
  };
  return &api;
}
