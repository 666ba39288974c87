// SPDX-License-Identifier: Apache-2.0
// One synthetic instance as plain values (private to dicom_synth): the
// modality builders (instance_*.cpp) turn a series plan and an instance
// number into elements and pixels; writer.cpp saves them with DCMTK.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "dicom/synth/elements.hpp"
#include "dicom/synth/plan.hpp"

namespace cf::dicom::synth {

struct BuiltInstance {
  Elements elements;
  PixelData pixels;
  std::string sop_class_uid;
  std::string sop_instance_uid;
  int rows = 0;
  int columns = 0;
  int frames = 1;
};

struct Context {
  const Plan& plan;
  const SeriesPlan& series;
  int instance;  // 0-based
  const SynthOptions& options;
};

// All attributes and pixels of one instance. Deterministic.
BuiltInstance BuildInstance(const Context& ctx);

// The modality parts: image attributes (and SOP class) plus pixels.
void AddCtImage(const Context& ctx, BuiltInstance& out);
void AddMrImage(const Context& ctx, BuiltInstance& out);
void AddRadiograph(const Context& ctx, BuiltInstance& out);  // CR and DX
void AddUltrasoundClip(const Context& ctx, BuiltInstance& out);

// Writes a Part 10 file with complete file meta. `implicit_vr` selects
// Implicit VR Little Endian, otherwise Explicit VR Little Endian. Returns the
// file size. Fails with kStorageUnavailable when the file cannot be written.
Result<uint64_t> WritePart10(const BuiltInstance& instance, bool implicit_vr,
                             const std::filesystem::path& path);

}  // namespace cf::dicom::synth
