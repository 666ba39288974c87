// SPDX-License-Identifier: Apache-2.0
// What goes on a film sheet (film/film_sheet.hpp): the exam's header, its
// key images rendered with their own window, the QR code of the patient's
// share and where to verify the film. The key images are those the exam's
// reports name (an SR's or a REST report's key_images) and those its Key
// Object Selection documents select ("Of Interest", "For Patient"...), else
// images sampled evenly through each series; images a KOS rejects ("Rejected
// for Quality Reasons"...) are never shown. Blocks (catalog, blobs,
// decoding).
#pragma once

#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "catalog/scope.hpp"
#include "core/error.hpp"
#include "film/film.hpp"
#include "film/film_sheet.hpp"

namespace cf::film {
class ReportStore;
}

namespace cf::http {

// The images of one series with pixels, in instance number order.
struct SheetSeries {
  std::string series_uid;
  std::optional<int> series_number;
  std::vector<catalog::InstanceRecord> images;
};

struct SheetPick {
  const catalog::InstanceRecord* image = nullptr;
  std::optional<int> series_number;
};

// Which images a sheet shows, at most film::kMaxSheetImages: the key images
// (`key_uids`, in their order) found in `series`, else an even sample of
// each series (every series gets its share of 12 slots, at least one; the
// middle of each part of the stack). Pure: unit-tested.
std::vector<SheetPick> PickSheetImages(const std::vector<SheetSeries>& series,
                                       const std::vector<std::string>& key_uids);

struct SheetRequest {
  std::string hospital;
  std::string share_url;   // the QR code's content
  std::string verify_url;  // .../verify/films/{id}
};

// The sheet of `film` (read in `scope`), ready for RenderFilmSheetPdf.
// `reports` may be null (no key images from reports then).
Result<film::FilmSheetContent> BuildFilmSheet(archive::Archive& archive, film::ReportStore* reports,
                                              const catalog::Scope& scope, const film::Film& film,
                                              const SheetRequest& request);

}  // namespace cf::http
