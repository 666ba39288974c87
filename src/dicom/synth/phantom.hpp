// SPDX-License-Identifier: Apache-2.0
// Pixel generators for the synthetic studies (private to dicom_synth; no
// DCMTK here). Each phantom is a handful of analytic shapes whose size and
// position vary smoothly with the position along the body, plus
// modality-typical noise, so that neighbouring slices resemble each other,
// windowing looks right in a viewer, and lossless coders see realistic
// entropy. A phantom depends only on its arguments: no hidden state.
#pragma once

#include <cstdint>
#include <vector>

#include "dicom/synth/raster.hpp"

namespace cf::dicom::synth {

// A patient's build, shared by all of their studies.
struct Habitus {
  uint64_t seed = 0;         // per patient: vessel, bowel and lesion positions
  double width_scale = 1.0;  // left-right, about 0.85..1.15
  double depth_scale = 1.0;  // anterior-posterior
  double fat_mm = 15.0;      // subcutaneous fat thickness
  bool female = false;
};

// --- CT -----------------------------------------------------------------

enum class CtPhase { kNonContrast, kArterial, kPortalVenous, kDelayed };

// Sentinel for pixels outside the reconstruction circle.
inline constexpr int32_t kOutsideFov = -32768;

struct CtSlice {
  double t = 0.5;     // 0 = lung apex, 0.35 = diaphragm, 1 = below the hips
  double z_mm = 0.0;  // table position, drives rib and vertebra periodicity
  int size = 512;     // rows = columns
  double pixel_mm = 0.9765625;
  CtPhase phase = CtPhase::kNonContrast;
  double noise_hu = 14.0;  // standard deviation after blurring
  uint64_t noise_seed = 1;
};

// Hounsfield units, row-major; pixels outside the circular field of view are
// kOutsideFov. Air is -1000, fat about -100, soft tissue 30..60, contrast
// vessels up to ~300, cortical bone ~700..1000.
Raster RenderCtSlice(const Habitus& habitus, const CtSlice& slice);

// --- MR -----------------------------------------------------------------

enum class MrWeighting { kT1, kT2, kFlair };

struct MrSlice {
  double t = 0.5;  // 0 = skull base, 1 = vertex
  int size = 256;
  double pixel_mm = 0.9375;
  MrWeighting weighting = MrWeighting::kT2;
  double noise = 10.0;
  uint64_t noise_seed = 1;
};

// Magnitude values in 0..4095 (12 bits stored), row-major.
std::vector<uint16_t> RenderMrSlice(const Habitus& habitus, const MrSlice& slice);

// --- CR / DX ------------------------------------------------------------

struct Radiograph {
  int rows = 2140;
  int columns = 1760;
  double pixel_mm = 0.2;
  bool lateral = false;  // PA when false
  int bits_stored = 12;
  bool monochrome1 = true;  // high values dark (CR) or bright (DX, MONOCHROME2)
  uint64_t noise_seed = 1;
};

// A chest radiograph, row-major, values in 0..2^bits_stored-1.
std::vector<uint16_t> RenderChestRadiograph(const Habitus& habitus, const Radiograph& spec);

// --- US -----------------------------------------------------------------

struct UltrasoundClip {
  int rows = 480;
  int columns = 640;
  int frames = 20;
  double depth_mm = 160.0;  // imaging depth shown in the sector
  bool color_doppler = false;
  uint64_t seed = 1;
};

// The sector's apex and scale, for the ultrasound region calibration.
struct UltrasoundGeometry {
  int apex_x = 0;
  int apex_y = 0;
  int radius_min = 0;
  int radius_max = 0;
  double half_angle_rad = 0;
  double mm_per_pixel = 0;
};
UltrasoundGeometry UltrasoundGeometryOf(const UltrasoundClip& clip);

// Frames of interleaved RGB (PlanarConfiguration 0), frame after frame: a
// sector of speckled abdominal B-mode (liver, a vessel, a gallbladder),
// optionally with a colour Doppler box, a depth scale and a grey bar.
std::vector<uint8_t> RenderUltrasoundClip(const Habitus& habitus, const UltrasoundClip& clip);

}  // namespace cf::dicom::synth
