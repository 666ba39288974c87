// SPDX-License-Identifier: Apache-2.0
// A small synthetic set of every image modality the generator makes (CT,
// MR, CR, multi-frame US), for codec tests that go over each object.
#pragma once

#include <filesystem>

#include "dicom/synth/synth.hpp"

namespace cf::codec {

inline bool WriteSmallSynthStudies(const std::filesystem::path& dir) {
  dicom::SynthOptions options;
  options.modalities = {dicom::SynthModality::kCT, dicom::SynthModality::kMR,
                        dicom::SynthModality::kCR, dicom::SynthModality::kUS};
  options.studies_per_patient = 4;
  options.instances_per_series = 2;
  options.ct_size = 256;
  options.us_frames = 3;
  return static_cast<bool>(dicom::WriteSynthStudies(options, dir));
}

}  // namespace cf::codec
