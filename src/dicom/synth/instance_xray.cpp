// SPDX-License-Identifier: Apache-2.0
// CR and DX (for presentation) chest radiographs. The two differ the way real
// devices do: CR plates are MONOCHROME1 with 10 (Fujifilm) or 12 bits stored,
// DX detectors MONOCHROME2 with 12 or 14 bits and the DX-specific attributes
// (presentation intent, intensity relationship, anatomic region code).
#include <cmath>

#include "dicom/synth/instance.hpp"
#include "dicom/synth/tags.hpp"

namespace cf::dicom::synth {

void AddRadiograph(const Context& ctx, BuiltInstance& out) {
  const SeriesPlan& series = ctx.series;
  const StudyPlan& study = *series.study;
  const PatientPlan& patient = *study.patient;
  const Equipment& eq = study.equipment;
  const bool dx = study.modality == SynthModality::kDX;

  Radiograph spec;
  if (dx) {
    spec.rows = 2500;
    spec.columns = 2048;
    spec.pixel_mm = 0.17;
    spec.bits_stored = eq.manufacturer.starts_with("Carestream") ? 14 : 12;
    spec.monochrome1 = false;
  } else {
    spec.rows = 2140;
    spec.columns = 1760;
    spec.pixel_mm = 0.2;
    spec.bits_stored = eq.manufacturer.starts_with("FUJIFILM") ? 10 : 12;
    spec.monochrome1 = true;
  }
  spec.lateral = series.lateral;
  spec.noise_seed = HashOf({ctx.plan.fingerprint, 79, static_cast<uint64_t>(patient.index),
                            static_cast<uint64_t>(study.index), static_cast<uint64_t>(series.index),
                            static_cast<uint64_t>(ctx.instance)});
  out.pixels.words = RenderChestRadiograph(patient.habitus, spec);
  out.sop_class_uid = dx ? "1.2.840.10008.5.1.4.1.1.1.1" : "1.2.840.10008.5.1.4.1.1.1";
  out.rows = spec.rows;
  out.columns = spec.columns;

  const int max_value = (1 << spec.bits_stored) - 1;
  Elements& e = out.elements;
  e.push_back(Text(tag::kImageType, "CS", "ORIGINAL\\PRIMARY"));
  e.push_back(Ints(tag::kSamplesPerPixel, "US", {1}));
  e.push_back(Text(tag::kPhotometricInterpretation, "CS", dx ? "MONOCHROME2" : "MONOCHROME1"));
  e.push_back(Ints(tag::kRows, "US", {spec.rows}));
  e.push_back(Ints(tag::kColumns, "US", {spec.columns}));
  e.push_back(Text(tag::kPixelSpacing, "DS", DsList({spec.pixel_mm, spec.pixel_mm})));
  e.push_back(Text(tag::kImagerPixelSpacing, "DS", DsList({spec.pixel_mm, spec.pixel_mm})));
  e.push_back(Ints(tag::kBitsAllocated, "US", {16}));
  e.push_back(Ints(tag::kBitsStored, "US", {spec.bits_stored}));
  e.push_back(Ints(tag::kHighBit, "US", {spec.bits_stored - 1}));
  e.push_back(Ints(tag::kPixelRepresentation, "US", {0}));
  e.push_back(Text(tag::kWindowCenter, "DS", Ds(std::round(max_value * 0.5))));
  e.push_back(Text(tag::kWindowWidth, "DS", Ds(std::round(max_value * 0.85))));
  e.push_back(Text(tag::kViewPosition, "CS", spec.lateral ? "LL" : "PA"));
  e.push_back(Text(tag::kPatientOrientation, "CS", spec.lateral ? "P\\F" : "L\\F"));
  e.push_back(Text(tag::kKvp, "DS", spec.lateral ? "125" : "120"));
  e.push_back(Text(tag::kExposureTime, "IS", spec.lateral ? "16" : "8"));
  e.push_back(Text(tag::kXRayTubeCurrent, "IS", "320"));
  e.push_back(Text(tag::kExposure, "IS", spec.lateral ? "5" : "3"));
  e.push_back(Text(tag::kDistanceSourceToDetector, "DS", "1800"));
  e.push_back(Text(tag::kGrid, "CS", "FOCUSED"));
  if (dx) {
    e.push_back(Text(tag::kPresentationIntentType, "CS", "FOR PRESENTATION"));
    e.push_back(Text(tag::kPixelIntensityRelationship, "CS", "LOG"));
    // Higher values mean less X-ray intensity (bone is bright).
    e.push_back(Ints(tag::kPixelIntensityRelationshipSign, "SS", {-1}));
    e.push_back(Text(tag::kRescaleIntercept, "DS", "0"));
    e.push_back(Text(tag::kRescaleSlope, "DS", "1"));
    e.push_back(Text(tag::kRescaleType, "LO", "US"));
    e.push_back(Text(tag::kPresentationLutShape, "CS", "IDENTITY"));
    e.push_back(Text(tag::kDetectorType, "CS", "SCINTILLATOR"));
    e.push_back(Text(tag::kImageLaterality, "CS", "U"));
    Elements code;
    code.push_back(Text(tag::kCodeValue, "SH", "51185008"));
    code.push_back(Text(tag::kCodingSchemeDesignator, "SH", "SCT"));
    code.push_back(Text(tag::kCodeMeaning, "LO", "Chest"));
    e.push_back(Sequence(tag::kAnatomicRegionSequence, {std::move(code)}));
  } else {
    e.push_back(Text(tag::kSensitivity, "DS", "200"));
  }
}

}  // namespace cf::dicom::synth
