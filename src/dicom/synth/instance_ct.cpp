// SPDX-License-Identifier: Apache-2.0
// CT Image Storage instances: the phantom slice converted to stored values
// the way two scanner families do it (unsigned 12 bits, as Siemens and UIH
// store; signed 16 bits with a padding value outside the field of view, as GE
// stores), with consistent image plane geometry along the series and
// plausible acquisition parameters, including tube current modulation.
#include <algorithm>
#include <cmath>

#include "dicom/synth/instance.hpp"
#include "dicom/synth/shapes.hpp"
#include "dicom/synth/tags.hpp"

namespace cf::dicom::synth {
namespace {

constexpr double kBodyMm = 600;  // t = 0..1 (plan.cpp uses the same scale)
constexpr double kFovMm = 500;

const char* KernelOf(const Equipment& e, bool sharp) {
  if (e.manufacturer.starts_with("GE")) return sharp ? "LUNG" : "STANDARD";
  if (e.manufacturer == "UIH") return sharp ? "B_LUNG_A" : "B_SOFT_B";
  return sharp ? "B70f" : "B31f";
}

}  // namespace

void AddCtImage(const Context& ctx, BuiltInstance& out) {
  const SeriesPlan& series = ctx.series;
  const StudyPlan& study = *series.study;
  const PatientPlan& patient = *study.patient;
  const Equipment& eq = study.equipment;
  const int size = ctx.options.ct_size;
  const double pixel_mm = kFovMm / size;
  const double slice_mm = study.ct.slice_mm;

  CtSlice slice;
  slice.t = study.ct.t_start + ctx.instance * slice_mm / kBodyMm;
  slice.z_mm = study.ct.z_start_mm - ctx.instance * slice_mm;
  slice.size = size;
  slice.pixel_mm = pixel_mm;
  slice.phase = series.phase;
  // Bigger patients and thinner slices are noisier; sharp kernels much more so.
  slice.noise_hu = (10 + 25 * (patient.habitus.width_scale - 0.88)) *
                   std::pow(5.0 / slice_mm, 0.25) * (series.sharp_kernel ? 2.8 : 1.0);
  slice.noise_seed =
      HashOf({ctx.plan.fingerprint, 77, static_cast<uint64_t>(patient.index),
              static_cast<uint64_t>(study.index), static_cast<uint64_t>(series.index),
              static_cast<uint64_t>(ctx.instance)});
  const Raster hu = RenderCtSlice(patient.habitus, slice);

  out.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  out.rows = size;
  out.columns = size;
  out.pixels.words.resize(hu.px.size());
  const bool is_signed = eq.signed_ct;
  for (size_t i = 0; i < hu.px.size(); ++i) {
    const int32_t v = hu.px[i];
    int32_t stored;
    if (is_signed) {
      stored = v == kOutsideFov ? -2000 : std::clamp(v + 1024, 0, 32767);
    } else {
      stored = v == kOutsideFov ? 0 : std::clamp(v + 1024, 0, 4095);
    }
    out.pixels.words[i] = static_cast<uint16_t>(static_cast<int16_t>(stored));
  }

  // Tube current modulation: more mA through the shoulders and pelvis.
  const double t = std::clamp(slice.t, 0.0, 1.0);
  const double lungs = Window(t, 0.05, 0.12, 0.25, 0.35);
  const double modulation =
      1 + 0.45 * (1 - SmoothStep(0.02, 0.1, t)) + 0.3 * SmoothStep(0.7, 0.9, t) - 0.3 * lungs;
  const int ma = static_cast<int>(std::lround(170 * patient.habitus.width_scale * modulation));
  const double pitch = 0.984;
  const double rotation_s = 0.5;

  Elements& e = out.elements;
  e.push_back(Text(tag::kImageType, "CS", "ORIGINAL\\PRIMARY\\AXIAL"));
  e.push_back(Ints(tag::kSamplesPerPixel, "US", {1}));
  e.push_back(Text(tag::kPhotometricInterpretation, "CS", "MONOCHROME2"));
  e.push_back(Ints(tag::kRows, "US", {size}));
  e.push_back(Ints(tag::kColumns, "US", {size}));
  e.push_back(Text(tag::kPixelSpacing, "DS", DsList({pixel_mm, pixel_mm})));
  e.push_back(Ints(tag::kBitsAllocated, "US", {16}));
  e.push_back(Ints(tag::kBitsStored, "US", {is_signed ? 16 : 12}));
  e.push_back(Ints(tag::kHighBit, "US", {is_signed ? 15 : 11}));
  e.push_back(Ints(tag::kPixelRepresentation, "US", {is_signed ? 1 : 0}));
  if (is_signed) e.push_back(Ints(tag::kPixelPaddingValue, "SS", {-2000}));
  e.push_back(Text(tag::kRescaleIntercept, "DS", "-1024"));
  e.push_back(Text(tag::kRescaleSlope, "DS", "1"));
  e.push_back(Text(tag::kRescaleType, "LO", "HU"));
  if (series.sharp_kernel) {
    e.push_back(Text(tag::kWindowCenter, "DS", "-600"));
    e.push_back(Text(tag::kWindowWidth, "DS", "1500"));
    e.push_back(Text(tag::kWindowCenterWidthExplanation, "LO", "LUNG"));
  } else if (is_signed) {  // GE sends two presets
    e.push_back(Text(tag::kWindowCenter, "DS", "40\\-600"));
    e.push_back(Text(tag::kWindowWidth, "DS", "400\\1500"));
    e.push_back(Text(tag::kWindowCenterWidthExplanation, "LO", "SOFT TISSUE\\LUNG"));
  } else {
    e.push_back(Text(tag::kWindowCenter, "DS", study.variant == 0 ? "40" : "50"));
    e.push_back(Text(tag::kWindowWidth, "DS", study.variant == 0 ? "400" : "350"));
    e.push_back(Text(tag::kWindowCenterWidthExplanation, "LO",
                     study.variant == 0 ? "MEDIASTINUM" : "ABDOMEN"));
  }
  // Image plane: axial, head first supine, the first pixel's centre.
  const double origin = -kFovMm / 2 + pixel_mm / 2;
  e.push_back(Text(tag::kImagePositionPatient, "DS", DsList({origin, origin, slice.z_mm})));
  e.push_back(Text(tag::kImageOrientationPatient, "DS", "1\\0\\0\\0\\1\\0"));
  e.push_back(Text(tag::kSliceThickness, "DS", Ds(slice_mm)));
  e.push_back(Text(tag::kSliceLocation, "DS", Ds(slice.z_mm)));
  e.push_back(Text(tag::kFrameOfReferenceUid, "UI", study.frame_of_reference_uid));
  e.push_back(Text(tag::kPositionReferenceIndicator, "LO", ""));
  e.push_back(Text(tag::kPatientPosition, "CS", "HFS"));
  // Acquisition.
  e.push_back(Text(tag::kScanOptions, "CS", "HELICAL MODE"));
  e.push_back(Text(tag::kKvp, "DS", patient.habitus.width_scale < 0.95 ? "100" : "120"));
  e.push_back(Text(tag::kDataCollectionDiameter, "DS", "500"));
  e.push_back(Text(tag::kReconstructionDiameter, "DS", Ds(kFovMm)));
  e.push_back(Text(tag::kDistanceSourceToDetector, "DS", "1085.6"));
  e.push_back(Text(tag::kDistanceSourceToPatient, "DS", "595"));
  e.push_back(Text(tag::kGantryDetectorTilt, "DS", "0"));
  e.push_back(Text(tag::kTableHeight, "DS", "160"));
  e.push_back(Text(tag::kRotationDirection, "CS", "CW"));
  e.push_back(Text(tag::kExposureTime, "IS", "500"));
  e.push_back(Text(tag::kXRayTubeCurrent, "IS", std::to_string(ma)));
  e.push_back(Text(tag::kExposure, "IS",
                   std::to_string(static_cast<int>(std::lround(ma * rotation_s / pitch)))));
  e.push_back(Text(tag::kFilterType, "SH", "BODY FILTER"));
  e.push_back(Text(tag::kGeneratorPower, "IS", std::to_string(ma * 120 / 1000)));
  e.push_back(Text(tag::kFocalSpots, "DS", "1.2"));
  e.push_back(Text(tag::kConvolutionKernel, "SH", KernelOf(eq, series.sharp_kernel)));
  e.push_back(Floats(tag::kRevolutionTime, {rotation_s}));
  e.push_back(Floats(tag::kSingleCollimationWidth, {0.625}));
  e.push_back(Floats(tag::kTotalCollimationWidth, {40}));
  e.push_back(Floats(tag::kTableSpeed, {40 * pitch / rotation_s}));
  e.push_back(Floats(tag::kTableFeedPerRotation, {40 * pitch}));
  e.push_back(Floats(tag::kSpiralPitchFactor, {pitch}));
  e.push_back(Floats(tag::kCtdiVol, {std::round(ma * 0.045 * 100) / 100}));
  if (series.phase != CtPhase::kNonContrast) {
    e.push_back(Text(tag::kContrastBolusAgent, "LO", "Iohexol 350 mgI/ml"));
    e.push_back(Text(tag::kContrastBolusRoute, "LO", "IV"));
  }
}

}  // namespace cf::dicom::synth
