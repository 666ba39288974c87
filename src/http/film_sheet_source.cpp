// SPDX-License-Identifier: Apache-2.0
#include "http/film_sheet_source.hpp"

#include <algorithm>
#include <set>

#include "codec/render.hpp"
#include "dicom/key_object_selection.hpp"
#include "film/report_store.hpp"
#include "http/qr_code.hpp"

namespace cf::http {
namespace {

// A sheet without key images shows about this many, shared among series.
constexpr size_t kSampledImages = 12;
// Each image is rendered to fit this box: sharp on A4 at 300 dpi for the
// 2x2 grid's cells (about 9 cm), small enough to keep the PDF light.
constexpr uint32_t kRenderSide = 1024;

bool HasPixels(const catalog::InstanceRecord& r) {
  return r.rows.value_or(0) > 0 && r.columns.value_or(0) > 0;
}

struct Selections {
  std::vector<std::string> selected;  // in the documents' order
  std::set<std::string> rejected;
};

// What the exam's Key Object Selection documents (series of modality KO)
// say: the images someone selected (Of Interest, For Patient...) join the
// reports' key images; those withdrawn (Rejected for Quality Reasons...)
// are never printed. A document that cannot be read is skipped: the sheet
// falls back to sampling rather than failing a print.
Result<Selections> KeyObjectSelections(archive::Archive& archive, const catalog::Scope& scope,
                                       const std::vector<catalog::SeriesRecord>& series) {
  Selections out;
  for (const auto& s : series) {
    if (s.modality != "KO") continue;
    auto instances = archive.ListInstances(scope, s.series_instance_uid);
    if (!instances) return std::unexpected(instances.error());
    for (const auto& i : *instances) {
      if (i.sop_class_uid != dicom::kKeyObjectSelectionClass) continue;
      auto bytes = archive.ReadBlob(i);
      if (!bytes) return std::unexpected(bytes.error());
      auto kos = dicom::ReadKeyObjectSelection(*bytes);
      if (!kos) continue;
      if (kos->kind == dicom::KeySelectionKind::kSelects) {
        out.selected.insert(out.selected.end(), kos->sop_instance_uids.begin(),
                            kos->sop_instance_uids.end());
      } else if (kos->kind == dicom::KeySelectionKind::kRejects) {
        out.rejected.insert(kos->sop_instance_uids.begin(), kos->sop_instance_uids.end());
      }
    }
  }
  std::erase_if(out.selected, [&](const std::string& uid) { return out.rejected.contains(uid); });
  return out;
}

}  // namespace

std::vector<SheetPick> PickSheetImages(const std::vector<SheetSeries>& series,
                                       const std::vector<std::string>& key_uids) {
  std::vector<SheetPick> picks;
  std::set<std::string> seen;
  for (const auto& uid : key_uids) {
    if (picks.size() >= film::kMaxSheetImages) break;
    if (!seen.insert(uid).second) continue;
    for (const auto& s : series) {
      const auto it = std::ranges::find(s.images, uid, &catalog::InstanceRecord::sop_instance_uid);
      if (it != s.images.end()) {
        picks.push_back({&*it, s.series_number});
        break;
      }
    }
  }
  if (!picks.empty()) return picks;

  std::vector<const SheetSeries*> with_images;
  for (const auto& s : series) {
    if (!s.images.empty()) with_images.push_back(&s);
  }
  if (with_images.empty()) return picks;
  const size_t share = std::max<size_t>(1, kSampledImages / with_images.size());
  for (const SheetSeries* s : with_images) {
    const size_t n = s->images.size();
    const size_t take = std::min(share, n);
    for (size_t k = 0; k < take && picks.size() < film::kMaxSheetImages; ++k) {
      // The middle of the k-th of `take` equal parts of the stack.
      const size_t index = std::min(n - 1, (2 * k + 1) * n / (2 * take));
      picks.push_back({&s->images[index], s->series_number});
    }
  }
  return picks;
}

Result<film::FilmSheetContent> BuildFilmSheet(archive::Archive& archive, film::ReportStore* reports,
                                              const catalog::Scope& scope, const film::Film& film,
                                              const SheetRequest& request) {
  film::FilmSheetContent sheet;
  auto study = archive.GetStudy(scope, film.study_uid);
  if (!study) return std::unexpected(study.error());
  film::PrintHeader& h = sheet.header;
  h.hospital = request.hospital;
  h.patient_name = study->patient_name;
  h.patient_id = study->patient_id;
  h.birth_date = study->patient_birth_date;
  h.sex = study->patient_sex;
  h.accession = study->accession_number;
  h.study_date = study->study_date;
  for (const auto& m : study->modalities) {
    if (!h.modalities.empty()) h.modalities += '\\';
    h.modalities += m;
  }
  h.study_description = study->study_description;
  sheet.film_id = film.id;
  sheet.issued_at_ms = film.issued_at_ms;
  sheet.verify_url = request.verify_url;
  sheet.share_url = request.share_url;
  if (!request.share_url.empty()) {
    auto qr = MakeQrCode(request.share_url);
    if (!qr) return std::unexpected(qr.error());
    sheet.qr_png = std::move(qr->png);
  }

  std::vector<std::string> key_uids;
  if (reports != nullptr) {
    film::ReportQuery query{scope, film.study_uid};
    auto found = reports->Find(query);
    if (!found) return std::unexpected(found.error());
    for (const auto& r : *found) {
      if (r.versions.empty()) continue;
      const auto& keys = r.versions.back().content.key_images;
      key_uids.insert(key_uids.end(), keys.begin(), keys.end());
    }
  }

  auto series_list = archive.ListSeries(scope, film.study_uid);
  if (!series_list) return std::unexpected(series_list.error());
  auto selections = KeyObjectSelections(archive, scope, *series_list);
  if (!selections) return std::unexpected(selections.error());
  key_uids.insert(key_uids.end(), selections->selected.begin(), selections->selected.end());
  std::ranges::sort(*series_list, [](const auto& a, const auto& b) {
    return a.series_number.value_or(0) < b.series_number.value_or(0);
  });
  std::vector<SheetSeries> series;
  for (const auto& s : *series_list) {
    auto instances = archive.ListInstances(scope, s.series_instance_uid);
    if (!instances) return std::unexpected(instances.error());
    SheetSeries one{s.series_instance_uid, s.series_number, {}};
    for (auto& i : *instances) {
      // The first version of each object: the one the film lists first.
      if (i.version == 1 && HasPixels(i) && !selections->rejected.contains(i.sop_instance_uid)) {
        one.images.push_back(std::move(i));
      }
    }
    std::ranges::stable_sort(one.images, [](const auto& a, const auto& b) {
      return a.instance_number.value_or(0) < b.instance_number.value_or(0);
    });
    series.push_back(std::move(one));
  }

  for (const SheetPick& pick : PickSheetImages(series, key_uids)) {
    auto bytes = archive.ReadBlob(*pick.image);
    if (!bytes) return std::unexpected(bytes.error());
    codec::RenderOptions options;
    options.format = codec::RenderFormat::kPng;
    // A multi-frame object (ultrasound cine) shows its middle frame.
    options.frame =
        static_cast<uint32_t>(std::max(1, (pick.image->number_of_frames.value_or(1) + 1) / 2));
    options.viewport_width = kRenderSide;
    options.viewport_height = kRenderSide;
    options.enlarge = false;
    auto png = codec::RenderImage(*bytes, options);
    if (!png) {
      // Pixels we cannot render (a codec we lack) leave a gap, not a failed print.
      if (png.error().code == ErrorCode::kUnsupported) continue;
      return std::unexpected(png.error());
    }
    std::string caption;
    if (pick.series_number) caption = "Se " + std::to_string(*pick.series_number);
    if (pick.image->instance_number) {
      if (!caption.empty()) caption += "  ";
      caption += "Im " + std::to_string(*pick.image->instance_number);
    }
    sheet.images.push_back({std::move(*png), std::move(caption)});
  }
  return sheet;
}

}  // namespace cf::http
