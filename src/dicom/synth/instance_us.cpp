// SPDX-License-Identifier: Apache-2.0
// Ultrasound Multi-frame Image Storage instances: RGB cine clips (colour
// Doppler in every other series) with the frame timing attributes and an
// ultrasound region calibration, so that viewers can play and measure them.
#include <algorithm>
#include <cmath>

#include "dicom/synth/instance.hpp"
#include "dicom/synth/tags.hpp"

namespace cf::dicom::synth {

void AddUltrasoundClip(const Context& ctx, BuiltInstance& out) {
  const SeriesPlan& series = ctx.series;
  const StudyPlan& study = *series.study;
  const PatientPlan& patient = *study.patient;

  UltrasoundClip clip;
  clip.frames = ctx.options.us_frames;
  clip.color_doppler = series.color_doppler;
  clip.seed = HashOf({ctx.plan.fingerprint, 80, static_cast<uint64_t>(patient.index),
                      static_cast<uint64_t>(study.index), static_cast<uint64_t>(series.index),
                      static_cast<uint64_t>(ctx.instance)});
  out.pixels.bytes = RenderUltrasoundClip(patient.habitus, clip);
  out.sop_class_uid = "1.2.840.10008.5.1.4.1.1.3.1";
  out.rows = clip.rows;
  out.columns = clip.columns;
  out.frames = clip.frames;

  const UltrasoundGeometry g = UltrasoundGeometryOf(clip);
  const int frame_time_ms = 50;  // 20 frames per second
  const int min_x =
      std::max(0, g.apex_x - static_cast<int>(g.radius_max * std::sin(g.half_angle_rad)));
  const int max_x = std::min(clip.columns - 1, 2 * g.apex_x - min_x);
  const int min_y =
      std::max(0, g.apex_y + static_cast<int>(g.radius_min * std::cos(g.half_angle_rad)));
  const int max_y = std::min(clip.rows - 1, g.apex_y + g.radius_max);
  const double cm_per_pixel = g.mm_per_pixel / 10;

  Elements& e = out.elements;
  e.push_back(Text(tag::kImageType, "CS",
                   clip.color_doppler ? "ORIGINAL\\PRIMARY\\ABDOMINAL\\0011"
                                      : "ORIGINAL\\PRIMARY\\ABDOMINAL\\0001"));
  e.push_back(Ints(tag::kSamplesPerPixel, "US", {3}));
  e.push_back(Text(tag::kPhotometricInterpretation, "CS", "RGB"));
  e.push_back(Ints(tag::kPlanarConfiguration, "US", {0}));
  e.push_back(Text(tag::kNumberOfFrames, "IS", std::to_string(clip.frames)));
  e.push_back(Ints(tag::kFrameIncrementPointer, "AT", {tag::kFrameTime}));
  e.push_back(Text(tag::kFrameTime, "DS", std::to_string(frame_time_ms)));
  e.push_back(Text(tag::kCineRate, "IS", std::to_string(1000 / frame_time_ms)));
  e.push_back(Text(tag::kRecommendedDisplayFrameRate, "IS", std::to_string(1000 / frame_time_ms)));
  e.push_back(Ints(tag::kRows, "US", {clip.rows}));
  e.push_back(Ints(tag::kColumns, "US", {clip.columns}));
  e.push_back(Ints(tag::kBitsAllocated, "US", {8}));
  e.push_back(Ints(tag::kBitsStored, "US", {8}));
  e.push_back(Ints(tag::kHighBit, "US", {7}));
  e.push_back(Ints(tag::kPixelRepresentation, "US", {0}));
  e.push_back(Text(tag::kTransducerData, "LO", "C5-1"));
  e.push_back(Text(tag::kProcessingFunction, "LO", "Abdomen"));
  e.push_back(Text(tag::kMechanicalIndex, "DS", "1.1"));
  e.push_back(Text(tag::kSoftTissueThermalIndex, "DS", "0.4"));
  e.push_back(Text(tag::kDepthOfScanField, "IS", std::to_string(static_cast<int>(clip.depth_mm))));

  Elements region;
  region.push_back(Ints(tag::kRegionSpatialFormat, "US", {1}));  // 2D
  region.push_back(Ints(tag::kRegionDataType, "US", {clip.color_doppler ? 2 : 1}));
  region.push_back(Ints(tag::kRegionFlags, "UL", {0}));
  region.push_back(Ints(tag::kRegionLocationMinX0, "UL", {min_x}));
  region.push_back(Ints(tag::kRegionLocationMinY0, "UL", {min_y}));
  region.push_back(Ints(tag::kRegionLocationMaxX1, "UL", {max_x}));
  region.push_back(Ints(tag::kRegionLocationMaxY1, "UL", {max_y}));
  // The reference pixel is the sector apex, at depth -r_min (above the skin).
  region.push_back(Ints(tag::kReferencePixelX0, "SL", {g.apex_x - min_x}));
  region.push_back(Ints(tag::kReferencePixelY0, "SL", {g.apex_y - min_y}));
  region.push_back(Ints(tag::kPhysicalUnitsXDirection, "US", {3}));  // cm
  region.push_back(Ints(tag::kPhysicalUnitsYDirection, "US", {3}));
  region.push_back(Floats(tag::kReferencePixelPhysicalValueX, {0}));
  region.push_back(Floats(tag::kReferencePixelPhysicalValueY, {-g.radius_min * cm_per_pixel}));
  region.push_back(Floats(tag::kPhysicalDeltaX, {cm_per_pixel}));
  region.push_back(Floats(tag::kPhysicalDeltaY, {cm_per_pixel}));
  region.push_back(Ints(tag::kTransducerFrequency, "UL", {3500}));
  e.push_back(Sequence(tag::kSequenceOfUltrasoundRegions, {std::move(region)}));
}

}  // namespace cf::dicom::synth
