// SPDX-License-Identifier: Apache-2.0
// The MR phantom: an axial brain slice from skull base (t = 0) to vertex
// (t = 1). Tissue classes (scalp fat, skull, CSF, grey and white matter,
// ventricles, eyes, brainstem, cerebellum) are mapped to T1, T2 or FLAIR
// intensities, with a coil bias field and Rician-like magnitude noise, so the
// background is not a constant zero (it never is in real MR).
#include <algorithm>
#include <array>
#include <cmath>

#include "dicom/synth/phantom.hpp"
#include "dicom/synth/shapes.hpp"

namespace cf::dicom::synth {
namespace {

enum Tissue : int32_t { kAir, kFat, kBone, kCsf, kGrey, kWhite, kMuscle, kVitreous, kCount };

std::array<int32_t, kCount> IntensitiesOf(MrWeighting w) {
  switch (w) {
    case MrWeighting::kT1:
      return {0, 1150, 60, 230, 560, 780, 520, 200};
    case MrWeighting::kT2:
      return {0, 720, 45, 1850, 920, 640, 420, 1900};
    case MrWeighting::kFlair:
      return {0, 640, 35, 110, 820, 600, 380, 120};
  }
  return {};
}

}  // namespace

std::vector<uint16_t> RenderMrSlice(const Habitus& habitus, const MrSlice& slice) {
  const double t = std::clamp(slice.t, 0.0, 1.0);
  Raster tissue(slice.size, slice.size, kAir);
  MmPainter p(tissue, slice.pixel_mm);

  // Head outline: widest a little above the middle, a cap at the vertex.
  const double profile = std::sqrt(std::max(0.0, 1 - std::pow((t - 0.42) / 0.66, 2)));
  const double ha = (70 + 4 * habitus.width_scale) * profile;
  const double hb = (88 + 4 * habitus.depth_scale) * profile;
  const double hy = 6;
  if (ha > 2) {
    p.Fill(0, hy, ha, hb, kFat);             // scalp
    p.Fill(0, hy, ha - 4, hb - 4, kBone);    // skull
    p.Fill(0, hy, ha - 10, hb - 10, kCsf);   // subarachnoid space
    p.Fill(0, hy, ha - 12, hb - 12, kGrey);  // cortex
  }
  // Low slices: eyes and orbits, temporal muscles, brainstem, cerebellum.
  if (t < 0.22) {
    const double eye = Window(t, 0.04, 0.09, 0.16, 0.22);
    for (int side = -1; side <= 1; side += 2) {
      p.Fill(side * 32, hy - hb + 8, 17 * eye, 15 * eye, kFat);
      p.Fill(side * 32, hy - hb + 6, 12 * eye, 12 * eye, kVitreous);
    }
    p.Fill(0, hy - hb * 0.45, 14, 22, kAir);  // sinuses
  }
  if (t < 0.35) {
    for (int side = -1; side <= 1; side += 2) p.Fill(side * (ha - 8), hy, 8, 26, kMuscle);
    const double cb = Window(t, 0.0, 0.12, 0.26, 0.36);
    for (int side = -1; side <= 1; side += 2) {
      p.Fill(side * 24, hy + hb * 0.55, 30 * cb, 24 * cb, kGrey);
      p.Fill(side * 20, hy + hb * 0.52, 15 * cb, 11 * cb, kWhite);
    }
    p.Fill(0, hy + hb * 0.12, 13, 12, kWhite);  // brainstem
    p.Fill(0, hy + hb * 0.3, 5, 4, kCsf);       // fourth ventricle
  }

  // Render, with gyri: the grey/white boundary undulates with the angle.
  std::vector<uint16_t> out(static_cast<size_t>(slice.size) * slice.size);
  const std::array<int32_t, kCount> level = IntensitiesOf(slice.weighting);
  const double scale = 1.0 / slice.pixel_mm;
  const double c = slice.size / 2.0;
  const double ba = std::max(1.0, ha - 12);
  const double bb = std::max(1.0, hb - 12);
  const double gyrus_phase = 11 * t + static_cast<double>(habitus.seed % 97) / 15.0;
  const bool high = t > 0.3;
  // Lateral ventricles, third ventricle, interhemispheric fissure.
  const double vent = Window(t, 0.42, 0.5, 0.7, 0.78);
  Raster signal(slice.size, slice.size, 0);
  for (int y = 0; y < slice.size; ++y) {
    const double my = (y + 0.5 - c) / scale;
    for (int x = 0; x < slice.size; ++x) {
      const double mx = (x + 0.5 - c) / scale;
      int32_t tis = tissue.At(x, y);
      if (tis == kGrey && high) {
        const double u = mx / ba;
        const double v = (my - hy) / bb;
        const double rho = std::sqrt(u * u + v * v);
        const double ang = std::atan2(v, u);
        const double boundary = 0.8 + 0.05 * std::sin(13 * ang + gyrus_phase) +
                                0.03 * std::sin(29 * ang - 2 * gyrus_phase);
        if (rho < boundary) tis = kWhite;
        // Sulci: thin CSF clefts cutting into the cortex.
        if (rho > boundary && std::abs(std::sin(21 * ang + gyrus_phase)) < 0.07) tis = kCsf;
        if (std::abs(mx) < 1.4 && std::abs(my - hy) < bb * 0.9) tis = kCsf;  // fissure
        if (vent > 0.05) {
          const double vy = my - hy + 4;
          for (int side = -1; side <= 1; side += 2) {
            const double vx = mx - side * 9;
            if ((vx * vx) / (49 * vent * vent) + (vy * vy) / (800 * vent * vent) < 1) tis = kCsf;
          }
          if (std::abs(mx) < 2.5 && std::abs(vy - 10) < 10 * vent) tis = kCsf;
        }
      }
      // Coil bias field: brighter towards the back and the left.
      const double bias = 1.0 + 0.12 * (my / 120.0) + 0.06 * (mx / 120.0);
      signal.At(x, y) = static_cast<int32_t>(level[static_cast<size_t>(tis)] * bias);
    }
  }
  // Thermal noise on both channels, then the magnitude (Rician), lightly blurred.
  Rng rng(slice.noise_seed);
  const double sigma = slice.noise;
  Raster real = signal;
  AddNoiseAndBlur(real, sigma / 0.375, rng);
  Raster imag(slice.size, slice.size, 0);
  AddNoiseAndBlur(imag, sigma / 0.375, rng);
  for (size_t i = 0; i < out.size(); ++i) {
    const double re = real.px[i];
    const double im = imag.px[i];
    const double mag = std::sqrt(re * re + im * im);
    out[i] = static_cast<uint16_t>(std::clamp(std::lround(mag), 0L, 4095L));
  }
  return out;
}

}  // namespace cf::dicom::synth
