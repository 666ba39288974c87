// SPDX-License-Identifier: Apache-2.0
// Span painting and correlated noise for the phantoms; see raster.hpp.
#include "dicom/synth/raster.hpp"

#include <algorithm>
#include <cmath>

namespace cf::dicom::synth {
namespace {

// Calls fn(y, x_begin, x_end) for each row span of the ellipse, clipped.
template <class Fn>
void ForEachSpan(const Raster& r, double cx, double cy, double a, double b, double angle, Fn&& fn) {
  if (a <= 0 || b <= 0) return;
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  // Implicit form A x^2 + B x y + C y^2 = 1 relative to the centre.
  const double qa = c * c / (a * a) + s * s / (b * b);
  const double qb = 2 * c * s * (1 / (a * a) - 1 / (b * b));
  const double qc = s * s / (a * a) + c * c / (b * b);
  const double det = 4 * qa * qc - qb * qb;
  const double y_extent = std::sqrt(4 * qa / det);
  const int y0 = std::max(0, static_cast<int>(std::ceil(cy - y_extent - 0.5)));
  const int y1 = std::min(r.height - 1, static_cast<int>(std::floor(cy + y_extent - 0.5)));
  for (int y = y0; y <= y1; ++y) {
    const double dy = y + 0.5 - cy;
    const double disc = qb * qb * dy * dy - 4 * qa * (qc * dy * dy - 1);
    if (disc < 0) continue;
    const double root = std::sqrt(disc);
    const double xl = cx + (-qb * dy - root) / (2 * qa);
    const double xr = cx + (-qb * dy + root) / (2 * qa);
    const int x0 = std::max(0, static_cast<int>(std::ceil(xl - 0.5)));
    const int x1 = std::min(r.width - 1, static_cast<int>(std::floor(xr - 0.5)));
    if (x0 <= x1) fn(y, x0, x1 + 1);
  }
}

}  // namespace

void FillEllipse(Raster& r, double cx, double cy, double a, double b, int32_t value, double angle) {
  ForEachSpan(r, cx, cy, a, b, angle, [&](int y, int x0, int x1) {
    int32_t* row = &r.At(0, y);
    std::fill(row + x0, row + x1, value);
  });
}

void AddEllipse(Raster& r, double cx, double cy, double a, double b, int32_t delta, double angle) {
  ForEachSpan(r, cx, cy, a, b, angle, [&](int y, int x0, int x1) {
    int32_t* row = &r.At(0, y);
    for (int x = x0; x < x1; ++x) row[x] += delta;
  });
}

void AddNoiseAndBlur(Raster& r, double sigma, Rng& rng) {
  const int w = r.width;
  const int h = r.height;
  if (w < 1 || h < 1) return;
  // Fixed point: samples x16 so that the /256 of the blur keeps precision.
  const int64_t noise_scale = std::llround(sigma * 16 * 65536 / 4096.0);
  std::vector<int32_t> in(static_cast<size_t>(w) * h);
  for (size_t i = 0; i < in.size(); ++i) {
    in[i] = r.px[i] * 16 + static_cast<int32_t>((rng.Gauss4096() * noise_scale) >> 16);
  }
  // Horizontal [1 2 1], edges replicated.
  std::vector<int32_t> hor(in.size());
  for (int y = 0; y < h; ++y) {
    const int32_t* s = &in[static_cast<size_t>(y) * w];
    int32_t* d = &hor[static_cast<size_t>(y) * w];
    if (w == 1) {
      d[0] = 4 * s[0];
      continue;
    }
    d[0] = 3 * s[0] + s[1];
    for (int x = 1; x < w - 1; ++x) d[x] = s[x - 1] + 2 * s[x] + s[x + 1];
    d[w - 1] = s[w - 2] + 3 * s[w - 1];
  }
  // Vertical [1 2 1], then /256 with rounding (floor division keeps negative
  // values unbiased).
  for (int y = 0; y < h; ++y) {
    const int32_t* up = &hor[static_cast<size_t>(std::max(0, y - 1)) * w];
    const int32_t* mid = &hor[static_cast<size_t>(y) * w];
    const int32_t* down = &hor[static_cast<size_t>(std::min(h - 1, y + 1)) * w];
    int32_t* d = &r.At(0, y);
    for (int x = 0; x < w; ++x) {
      const int32_t sum = up[x] + 2 * mid[x] + down[x] + 128;
      d[x] = sum >= 0 ? sum / 256 : -((-sum + 255) / 256);
    }
  }
}

}  // namespace cf::dicom::synth
