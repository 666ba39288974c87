// SPDX-License-Identifier: Apache-2.0
// A working image for the phantoms (private to dicom_synth): int32 samples in
// the modality's physical unit (HU for CT), shapes painted as row spans so
// that a 512x512 slice with a few dozen organs costs about one pass over the
// pixels, and correlated noise (white noise through a 3x3 binomial blur),
// which is what reconstructed images look like to a lossless coder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dicom/synth/rng.hpp"

namespace cf::dicom::synth {

struct Raster {
  Raster(int w, int h, int32_t fill) : width(w), height(h), px(static_cast<size_t>(w) * h, fill) {}

  int32_t& At(int x, int y) { return px[static_cast<size_t>(y) * width + x]; }
  int32_t At(int x, int y) const { return px[static_cast<size_t>(y) * width + x]; }

  int width;
  int height;
  std::vector<int32_t> px;
};

// Sets every pixel whose centre lies in the ellipse (centre, semi-axes in
// pixels, rotated by `angle` radians) to `value`.
void FillEllipse(Raster& r, double cx, double cy, double a, double b, int32_t value,
                 double angle = 0.0);

// Like FillEllipse, but adds `delta` instead of setting.
void AddEllipse(Raster& r, double cx, double cy, double a, double b, int32_t delta,
                double angle = 0.0);

// Adds white noise of standard deviation `sigma` (before blurring), then
// blurs with [1 2 1] x [1 2 1] / 16, which leaves 0.375 * sigma of spatially
// correlated noise and softens edges by about a pixel.
void AddNoiseAndBlur(Raster& r, double sigma, Rng& rng);

}  // namespace cf::dicom::synth
