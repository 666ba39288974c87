// SPDX-License-Identifier: Apache-2.0
// MR Image Storage instances: axial brain slices (T2, T1, FLAIR by series),
// unsigned 12 bits in 16, with the sequence parameters a viewer or a hanging
// protocol looks at (TR, TE, TI, field strength, echo train, matrix).
#include <algorithm>
#include <cmath>

#include "dicom/synth/instance.hpp"
#include "dicom/synth/tags.hpp"

namespace cf::dicom::synth {
namespace {

constexpr int kSize = 256;
constexpr double kFovMm = 240;
constexpr double kBrainMm = 130;  // t = 0..1 from skull base to vertex

struct PulseSequence {
  const char* scanning;
  const char* variant;
  const char* name;
  double tr;
  double te;
  double ti;  // 0 = none
  int echo_train;
  double flip;
  double window_center;
  double window_width;
};

PulseSequence SequenceOf(MrWeighting w) {
  switch (w) {
    case MrWeighting::kT1:
      return {"SE", "SP\\OSP", "*se2d1", 550, 10, 0, 1, 90, 520, 1040};
    case MrWeighting::kT2:
      return {"SE", "SK\\SP\\OSP", "*tse2d1_15", 4000, 95, 0, 15, 150, 950, 1900};
    case MrWeighting::kFlair:
      return {"SE\\IR", "SK\\SP\\MP\\OSP", "*tir2d1_16", 9000, 85, 2500, 16, 150, 620, 1240};
  }
  return {};
}

}  // namespace

void AddMrImage(const Context& ctx, BuiltInstance& out) {
  const SeriesPlan& series = ctx.series;
  const StudyPlan& study = *series.study;
  const PatientPlan& patient = *study.patient;
  const int n = ctx.options.instances_per_series;
  // 5 mm slices with a 1.5 mm gap, or contiguous thinner slices when many.
  const double spacing = n <= 23 ? 6.5 : std::max(0.5, std::round(150.0 / n * 10) / 10);
  const double thickness = spacing >= 6 ? 5.0 : spacing;
  const double span = (n - 1) * spacing;
  const double t_start = std::max(0.0, 0.5 - span / 2 / kBrainMm);
  const double t = t_start + ctx.instance * spacing / kBrainMm;
  const double z = -40 + t * kBrainMm;
  const double pixel_mm = kFovMm / kSize;

  MrSlice slice;
  slice.t = t;
  slice.size = kSize;
  slice.pixel_mm = pixel_mm;
  slice.weighting = series.weighting;
  slice.noise = study.equipment.field_strength >= 3 ? 9 : 14;
  slice.noise_seed =
      HashOf({ctx.plan.fingerprint, 78, static_cast<uint64_t>(patient.index),
              static_cast<uint64_t>(study.index), static_cast<uint64_t>(series.index),
              static_cast<uint64_t>(ctx.instance)});
  out.pixels.words = RenderMrSlice(patient.habitus, slice);
  out.sop_class_uid = "1.2.840.10008.5.1.4.1.1.4";
  out.rows = kSize;
  out.columns = kSize;

  const PulseSequence seq = SequenceOf(series.weighting);
  const double field = study.equipment.field_strength;
  Elements& e = out.elements;
  e.push_back(Text(tag::kImageType, "CS", "ORIGINAL\\PRIMARY\\M\\ND\\NORM"));
  e.push_back(Ints(tag::kSamplesPerPixel, "US", {1}));
  e.push_back(Text(tag::kPhotometricInterpretation, "CS", "MONOCHROME2"));
  e.push_back(Ints(tag::kRows, "US", {kSize}));
  e.push_back(Ints(tag::kColumns, "US", {kSize}));
  e.push_back(Text(tag::kPixelSpacing, "DS", DsList({pixel_mm, pixel_mm})));
  e.push_back(Ints(tag::kBitsAllocated, "US", {16}));
  e.push_back(Ints(tag::kBitsStored, "US", {12}));
  e.push_back(Ints(tag::kHighBit, "US", {11}));
  e.push_back(Ints(tag::kPixelRepresentation, "US", {0}));
  e.push_back(Text(tag::kWindowCenter, "DS", Ds(seq.window_center)));
  e.push_back(Text(tag::kWindowWidth, "DS", Ds(seq.window_width)));
  const double origin = -kFovMm / 2 + pixel_mm / 2;
  e.push_back(Text(tag::kImagePositionPatient, "DS", DsList({origin, origin, z})));
  e.push_back(Text(tag::kImageOrientationPatient, "DS", "1\\0\\0\\0\\1\\0"));
  e.push_back(Text(tag::kSliceThickness, "DS", Ds(thickness)));
  e.push_back(Text(tag::kSpacingBetweenSlices, "DS", Ds(spacing)));
  e.push_back(Text(tag::kSliceLocation, "DS", Ds(z)));
  e.push_back(Text(tag::kFrameOfReferenceUid, "UI", study.frame_of_reference_uid));
  e.push_back(Text(tag::kPositionReferenceIndicator, "LO", ""));
  e.push_back(Text(tag::kPatientPosition, "CS", "HFS"));
  e.push_back(Text(tag::kScanningSequence, "CS", seq.scanning));
  e.push_back(Text(tag::kSequenceVariant, "CS", seq.variant));
  e.push_back(Text(tag::kScanOptions, "CS", "PFP\\SAT1"));
  e.push_back(Text(tag::kMrAcquisitionType, "CS", "2D"));
  e.push_back(Text(tag::kSequenceName, "SH", seq.name));
  e.push_back(Text(tag::kRepetitionTime, "DS", Ds(seq.tr)));
  e.push_back(Text(tag::kEchoTime, "DS", Ds(seq.te)));
  if (seq.ti > 0) e.push_back(Text(tag::kInversionTime, "DS", Ds(seq.ti)));
  e.push_back(Text(tag::kNumberOfAverages, "DS", seq.echo_train > 1 ? "1" : "2"));
  e.push_back(Text(tag::kImagingFrequency, "DS", Ds(std::round(field * 42.577478 * 1e4) / 1e4)));
  e.push_back(Text(tag::kImagedNucleus, "SH", "1H"));
  e.push_back(Text(tag::kEchoNumbers, "IS", "1"));
  e.push_back(Text(tag::kMagneticFieldStrength, "DS", Ds(field)));
  e.push_back(Text(tag::kNumberOfPhaseEncodingSteps, "IS", "205"));
  e.push_back(Text(tag::kEchoTrainLength, "IS", std::to_string(seq.echo_train)));
  e.push_back(Text(tag::kPercentSampling, "DS", "100"));
  e.push_back(Text(tag::kPercentPhaseFieldOfView, "DS", "81.25"));
  e.push_back(
      Text(tag::kPixelBandwidth, "DS", series.weighting == MrWeighting::kT1 ? "150" : "220"));
  e.push_back(Text(tag::kReceiveCoilName, "SH", "Head_32"));
  e.push_back(Text(tag::kTransmitCoilName, "SH", "Body"));
  e.push_back(Ints(tag::kAcquisitionMatrix, "US", {0, 256, 208, 0}));
  e.push_back(Text(tag::kInPlanePhaseEncodingDirection, "CS", "ROW"));
  e.push_back(Text(tag::kFlipAngle, "DS", Ds(seq.flip)));
  e.push_back(Text(tag::kSar, "DS", Ds(field >= 3 ? 1.82 : 0.94)));
}

}  // namespace cf::dicom::synth
