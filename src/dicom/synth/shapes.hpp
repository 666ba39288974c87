// SPDX-License-Identifier: Apache-2.0
// Small geometry helpers shared by the phantoms (private to dicom_synth):
// smooth windows along the body axis and painting in millimetres.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

#include "dicom/synth/raster.hpp"

namespace cf::dicom::synth {

inline double SmoothStep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// 0 before a, rising to 1 at b, 1 until c, falling to 0 at d.
inline double Window(double x, double a, double b, double c, double d) {
  return SmoothStep(a, b, x) * (1 - SmoothStep(c, d, x));
}

inline double Fract(double x) { return x - std::floor(x); }

// Paints on a Raster whose centre is the origin, in millimetres (+x to the
// right of the image, +y down).
class MmPainter {
 public:
  MmPainter(Raster& raster, double pixel_mm)
      : raster_(raster),
        scale_(1.0 / pixel_mm),
        cx_(raster.width / 2.0),
        cy_(raster.height / 2.0) {}

  void Fill(double x, double y, double a, double b, int32_t value, double angle = 0) {
    if (a <= 0.05 || b <= 0.05) return;
    FillEllipse(raster_, cx_ + x * scale_, cy_ + y * scale_, a * scale_, b * scale_, value, angle);
  }
  void Add(double x, double y, double a, double b, int32_t delta, double angle = 0) {
    if (a <= 0.05 || b <= 0.05) return;
    AddEllipse(raster_, cx_ + x * scale_, cy_ + y * scale_, a * scale_, b * scale_, delta, angle);
  }
  // A shell of `value` with a core of `core_value`, `wall` mm thick.
  void Shell(double x, double y, double a, double b, double wall, int32_t value, int32_t core_value,
             double angle = 0) {
    Fill(x, y, a, b, value, angle);
    Fill(x, y, a - wall, b - wall, core_value, angle);
  }

  Raster& raster() { return raster_; }
  double scale() const { return scale_; }  // pixels per mm

 private:
  Raster& raster_;
  double scale_;
  double cx_;
  double cy_;
};

}  // namespace cf::dicom::synth
