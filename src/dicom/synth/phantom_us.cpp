// SPDX-License-Identifier: Apache-2.0
// The ultrasound phantom: a curvilinear-probe sector over the right upper
// abdomen (skin, fat with septa, muscle, fascia, liver with a pulsating vessel
// and a gallbladder with posterior enhancement, the diaphragm) as RGB cine
// frames. Speckle is tied to tissue, so it moves with breathing instead of
// flickering, and the clip loops. Grey B-mode inside an RGB sector plus
// coloured overlays is what most real US exports look like to a codec.
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "dicom/synth/phantom.hpp"
#include "dicom/synth/shapes.hpp"

namespace cf::dicom::synth {
namespace {

constexpr double kPi = std::numbers::pi;
// Beam angle through the gallbladder centre (x -36 mm, 58 mm deep; the apex
// is about 22 mm above the skin).
const double kGallbladderAngle = std::atan2(-36.0, 80.0);

struct Rgb {
  uint8_t r, g, b;
};

struct PixelGeom {
  float depth_mm;  // along the beam from the skin line
  float lateral;   // beam angle (radians)
  float x_mm;      // Cartesian, from the apex
  float y_mm;      // Cartesian, from the skin at the centre line
  int index;       // pixel index in the frame
};

// Echogenicity of tissue at a point (0 = anechoic, ~1 = strong reflector),
// and a gain factor for posterior enhancement or shadowing.
double Echo(double depth, double x, double y, double lateral, double vessel_r, const Habitus& h,
            double* gain) {
  const double fat = 8 + h.fat_mm * 0.4;
  if (depth < 1.5) return 0.9;
  if (depth < fat) {
    return Fract(depth / 4.5 + 0.08 * std::sin(x / 9)) < 0.09 ? 0.75 : 0.28;
  }
  if (depth < fat + 10) {
    return Fract(depth / 2.2 + x * 0.03) < 0.22 ? 0.62 : 0.42;
  }
  if (depth < fat + 11.5) return 0.95;  // fascia
  // Diaphragm, with the dim mirror image of the liver beyond it.
  const double dia = 128 + 0.004 * x * x;
  if (std::abs(y - dia) < 1.4) return 1.0;
  if (y > dia) return 0.22;
  // Vessel: bright wall, anechoic lumen.
  const double vx = x - 18;
  const double vy = y - 78;
  const double vr = std::sqrt(vx * vx + vy * vy);
  if (vr < vessel_r) return 0.015;
  if (vr < vessel_r + 1.3) return 0.9;
  // Gallbladder (rotated ellipse) with posterior acoustic enhancement.
  const double c = std::cos(0.3);
  const double s = std::sin(0.3);
  const double gx = x + 36;
  const double gy = y - 58;
  const double u = (c * gx + s * gy) / 23;
  const double v = (-s * gx + c * gy) / 12;
  if (u * u + v * v < 1) return 0.01;
  if (u * u + v * v < 1.15) return 0.8;
  // Posterior enhancement: along the beams that crossed the fluid.
  if (gy > 0 && std::abs(lateral - kGallbladderAngle) < 0.2) *gain *= 1.4;
  // Liver parenchyma with a few small hepatic veins.
  for (int k = 0; k < 4; ++k) {
    const double hx = x - (-50 + 32 * k) * (0.9 + 0.1 * h.width_scale);
    const double hy = y - (95 + 9 * std::sin(k * 2.1));
    if (hx * hx + hy * hy < 12) return 0.03;
  }
  return 0.55;
}

inline double SpeckleAt(uint64_t seed, int64_t ix, int64_t iy, const std::array<float, 256>& lut) {
  const uint64_t h = Mix64(seed ^ (static_cast<uint64_t>(ix) * 0x9e3779b97f4a7c15ull) ^
                           (static_cast<uint64_t>(iy) * 0xc2b2ae3d27d4eb4full));
  return lut[h & 0xff];
}

}  // namespace

UltrasoundGeometry UltrasoundGeometryOf(const UltrasoundClip& clip) {
  UltrasoundGeometry g;
  g.apex_x = clip.columns / 2;
  g.radius_min = clip.rows / 8;
  g.apex_y = clip.rows / 16 - g.radius_min;
  g.radius_max = clip.rows - clip.rows / 32 - g.apex_y;
  g.half_angle_rad = 35 * kPi / 180;
  g.mm_per_pixel = clip.depth_mm / (g.radius_max - g.radius_min);
  return g;
}

std::vector<uint8_t> RenderUltrasoundClip(const Habitus& habitus, const UltrasoundClip& clip) {
  const UltrasoundGeometry g = UltrasoundGeometryOf(clip);
  const size_t frame_bytes = static_cast<size_t>(clip.rows) * clip.columns * 3;
  std::vector<uint8_t> out(frame_bytes * static_cast<size_t>(clip.frames), 0);

  // Beam geometry of every pixel inside the sector, computed once per clip.
  std::vector<PixelGeom> sector;
  for (int y = 0; y < clip.rows; ++y) {
    for (int x = 0; x < clip.columns; ++x) {
      const double dx = x + 0.5 - g.apex_x;
      const double dy = y + 0.5 - g.apex_y;
      const double r = std::sqrt(dx * dx + dy * dy);
      const double theta = std::atan2(dx, dy);
      if (r < g.radius_min || r > g.radius_max || std::abs(theta) > g.half_angle_rad) continue;
      sector.push_back({static_cast<float>((r - g.radius_min) * g.mm_per_pixel),
                        static_cast<float>(theta), static_cast<float>(dx * g.mm_per_pixel),
                        static_cast<float>(dy * g.mm_per_pixel - g.radius_min * g.mm_per_pixel),
                        y * clip.columns + x});
    }
  }
  // Rayleigh-distributed speckle amplitudes (mean ~1), by inverse CDF.
  std::array<float, 256> rayleigh{};
  for (size_t i = 0; i < rayleigh.size(); ++i) {
    const double u = (static_cast<double>(i) + 0.5) / 256.0;
    rayleigh[i] = static_cast<float>(std::sqrt(-2 * std::log(1 - u)) / 1.2533);
  }
  // Log compression to 8 bits.
  constexpr int kLut = 4096;
  std::array<uint8_t, kLut> compress{};
  for (int i = 0; i < kLut; ++i) {
    const double v = 0.6 * static_cast<double>(i) / 1024.0;  // intensity 0..4, with gain
    compress[static_cast<size_t>(i)] =
        static_cast<uint8_t>(std::clamp(255 * std::log1p(40 * v) / std::log1p(240.0), 0.0, 255.0));
  }

  const uint64_t speckle_seed = HashOf({clip.seed, 11});
  const double focus_mm = clip.depth_mm * 0.45;
  // The colour box over the vessel, in beam coordinates.
  const double box_t0 = std::atan2(18, 78 + g.radius_min * g.mm_per_pixel) - 0.12;
  const double box_t1 = box_t0 + 0.24;
  for (int f = 0; f < clip.frames; ++f) {
    uint8_t* frame = out.data() + frame_bytes * static_cast<size_t>(f);
    const double phase = 2 * kPi * f / std::max(1, clip.frames);
    const double breath = 3.0 * std::sin(phase);  // tissue moves along the beam, loops
    const double pulse = std::max(0.0, std::sin(3 * phase));
    const double vessel_r = 8.5 * (1 + 0.07 * pulse);
    for (const PixelGeom& pg : sector) {
      double gain = 1.05 - 0.25 * pg.depth_mm / clip.depth_mm +
                    0.18 * std::exp(-std::pow((pg.depth_mm - focus_mm) / 25, 2));
      const double x = pg.x_mm;
      const double y = pg.y_mm - breath;
      const double echo = Echo(pg.depth_mm - breath, x, y, pg.lateral, vessel_r, habitus, &gain);
      // Speckle on a tissue-fixed grid: 0.35 mm axially, 1 mm laterally.
      const double a = (pg.depth_mm - breath) / 0.35;
      const double l = pg.lateral * 120.0 / 1.0;
      const auto ia = static_cast<int64_t>(std::floor(a));
      const auto il = static_cast<int64_t>(std::floor(l));
      const double fa = a - static_cast<double>(ia);
      const double fl = l - static_cast<double>(il);
      const double s = (1 - fa) * ((1 - fl) * SpeckleAt(speckle_seed, il, ia, rayleigh) +
                                   fl * SpeckleAt(speckle_seed, il + 1, ia, rayleigh)) +
                       fa * ((1 - fl) * SpeckleAt(speckle_seed, il, ia + 1, rayleigh) +
                             fl * SpeckleAt(speckle_seed, il + 1, ia + 1, rayleigh));
      const double intensity = echo * s * gain;
      const int idx = std::clamp(static_cast<int>(intensity * 1024), 0, kLut - 1);
      uint8_t grey = compress[static_cast<size_t>(idx)];
      Rgb px{grey, grey, grey};
      if (clip.color_doppler && pg.lateral > box_t0 && pg.lateral < box_t1 && pg.depth_mm > 55 &&
          pg.depth_mm < 100) {
        const double vx = x - 18;
        const double vy = y - 78;
        const double rho2 = (vx * vx + vy * vy) / (vessel_r * vessel_r);
        if (rho2 < 1 && echo < 0.1) {
          const double v = (0.35 + 0.65 * pulse) * (1 - rho2);
          const uint64_t dropout = Mix64(speckle_seed ^ static_cast<uint64_t>(pg.index) ^
                                         (static_cast<uint64_t>(f) << 40));
          if ((dropout & 0xf) > 1) {
            px = {static_cast<uint8_t>(90 + 165 * v), static_cast<uint8_t>(40 * v * v), 8};
          }
        }
        // Box outline.
        const bool edge = std::abs(pg.depth_mm - 55) < 0.4 || std::abs(pg.depth_mm - 100) < 0.4 ||
                          std::abs(pg.lateral - box_t0) < 0.004 ||
                          std::abs(pg.lateral - box_t1) < 0.004;
        if (edge) px = {190, 190, 190};
      }
      uint8_t* d = frame + static_cast<size_t>(pg.index) * 3;
      d[0] = px.r;
      d[1] = px.g;
      d[2] = px.b;
    }
    // Depth scale with a tick every 10 mm, a focus marker, and a grey bar.
    const auto put = [&](int x, int y, Rgb c) {
      if (x < 0 || y < 0 || x >= clip.columns || y >= clip.rows) return;
      uint8_t* d = frame + (static_cast<size_t>(y) * clip.columns + x) * 3;
      d[0] = c.r;
      d[1] = c.g;
      d[2] = c.b;
    };
    const int scale_x = g.apex_x + static_cast<int>(g.radius_max * std::sin(g.half_angle_rad)) + 8;
    for (int mm = 0; mm <= static_cast<int>(clip.depth_mm); mm += 10) {
      const int y = g.apex_y + g.radius_min + static_cast<int>(mm / g.mm_per_pixel);
      const int len = mm % 50 == 0 ? 7 : 4;
      for (int i = 0; i < len; ++i) put(scale_x + i, y, {210, 210, 210});
    }
    const int fy = g.apex_y + g.radius_min + static_cast<int>(focus_mm / g.mm_per_pixel);
    for (int i = 0; i < 5; ++i) {
      for (int j = -i; j <= i; ++j) put(scale_x - 8 + i, fy + j, {230, 200, 40});
    }
    for (int y = 0; y < clip.rows / 3; ++y) {
      const auto v = static_cast<uint8_t>(255 - 255 * y / std::max(1, clip.rows / 3 - 1));
      for (int x = 8; x < 16; ++x) put(x, y + clip.rows / 12, {v, v, v});
      if (clip.color_doppler) {  // velocity bar: red towards the probe, blue away
        const int half = std::max(1, clip.rows / 6);
        const bool up = y < half;
        const auto c =
            static_cast<uint8_t>(up ? 255 - 195 * y / half : 60 + 195 * (y - half) / half);
        for (int x = 20; x < 28; ++x) {
          put(x, y + clip.rows / 12,
              up ? Rgb{c, static_cast<uint8_t>(c / 5), 0} : Rgb{0, static_cast<uint8_t>(c / 4), c});
        }
      }
    }
  }
  return out;
}

}  // namespace cf::dicom::synth
