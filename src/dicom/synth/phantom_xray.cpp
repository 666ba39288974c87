// SPDX-License-Identifier: Apache-2.0
// The chest radiograph phantom (CR and DX, PA or lateral). A radiograph is a
// projection, so instead of painting tissue classes we add up attenuation
// along the beam: the torso's soft tissue path, minus the air in the lungs,
// plus the heart, the spine, ribs, clavicles and lung markings. A dynamic
// range compression curve then maps attenuation to stored values the way a
// processed image looks, with collimation at the edges and quantum noise.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "dicom/synth/phantom.hpp"
#include "dicom/synth/shapes.hpp"

namespace cf::dicom::synth {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kSoftPerMm = 0.02;  // attenuation (log units) per mm of soft tissue
constexpr double kBonePerMm = 0.05;
constexpr int kMilli = 1000;  // the raster holds attenuation x 1000

// Path length through an ellipse of semi-axes (a, b) in the image plane and
// half-depth `depth` along the beam, at offset (dx, dy) from its centre.
inline double Ellipsoid(double dx, double dy, double a, double b, double depth) {
  const double u = (dx * dx) / (a * a) + (dy * dy) / (b * b);
  return u >= 1 ? 0 : 2 * depth * std::sqrt(1 - u);
}

struct Geometry {
  double torso_half_width;  // left-right in PA, anterior-posterior in lateral
  double torso_depth;       // along the beam
  double lung_x[2];
  double lung_a;
  double lung_b;
  double lung_y;
  double lung_depth;
  double heart_x;
  double heart_y;
  double heart_a;
  double heart_b;
  double spine_x;
  double dome_y[2];
};

Geometry GeometryOf(const Habitus& h, bool lateral) {
  Geometry g{};
  const double ws = h.width_scale;
  const double ds = h.depth_scale;
  g.lung_y = -25;
  g.lung_b = 125;
  g.dome_y[0] = 70;
  g.dome_y[1] = 80;
  if (!lateral) {
    g.torso_half_width = 152 * ws + h.fat_mm * 0.5;
    g.torso_depth = 105 * ds + h.fat_mm * 0.6;
    g.lung_x[0] = -76 * ws;
    g.lung_x[1] = 76 * ws;
    g.lung_a = 62 * ws;
    g.lung_depth = 80 * ds;
    g.heart_x = 22;
    g.heart_y = 42;
    g.heart_a = 72 * ws;
    g.heart_b = 62;
    g.spine_x = 0;
  } else {
    g.torso_half_width = 110 * ds + h.fat_mm * 0.5;
    g.torso_depth = 150 * ws + h.fat_mm * 0.6;
    g.lung_x[0] = -4;
    g.lung_x[1] = 6;
    g.lung_a = 92 * ds;
    g.lung_depth = 65 * ws;
    g.heart_x = -38 * ds;
    g.heart_y = 40;
    g.heart_a = 55 * ds;
    g.heart_b = 70;
    g.spine_x = 78 * ds;
  }
  return g;
}

// Adds a curved bone band: centre line y(x) for x in [x0, x1], half-width
// `hw`, bone thickness `mm` at the centre.
template <class Curve>
void AddBand(Raster& att, double pixel_mm, double x0, double x1, double hw, double mm,
             Curve&& curve) {
  const double cx = att.width / 2.0;
  const double cy = att.height / 2.0;
  const int c0 = std::max(0, static_cast<int>(cx + std::min(x0, x1) / pixel_mm));
  const int c1 = std::min(att.width - 1, static_cast<int>(cx + std::max(x0, x1) / pixel_mm));
  for (int col = c0; col <= c1; ++col) {
    const double x = (col + 0.5 - cx) * pixel_mm;
    const double yc = curve(x);
    const int r0 = std::max(0, static_cast<int>((yc - hw) / pixel_mm + cy));
    const int r1 = std::min(att.height - 1, static_cast<int>((yc + hw) / pixel_mm + cy));
    for (int row = r0; row <= r1; ++row) {
      const double d = ((row + 0.5 - cy) * pixel_mm - yc) / hw;
      if (std::abs(d) >= 1) continue;
      // Cortical edges carry more bone along the beam than the middle.
      const double profile = 0.6 * std::sqrt(1 - d * d) + 0.5 * d * d;
      att.At(col, row) += static_cast<int32_t>(kBonePerMm * mm * profile * kMilli);
    }
  }
}

}  // namespace

std::vector<uint16_t> RenderChestRadiograph(const Habitus& habitus, const Radiograph& spec) {
  const double pmm = spec.pixel_mm;
  const Geometry g = GeometryOf(habitus, spec.lateral);
  Raster att(spec.columns, spec.rows, 0);
  const double cx = spec.columns / 2.0;
  const double cy = spec.rows / 2.0;

  // Smooth attenuation: torso, lungs, heart, spine, breasts, gastric bubble.
  for (int row = 0; row < spec.rows; ++row) {
    const double y = (row + 0.5 - cy) * pmm;
    // Neck above the shoulders, then the torso.
    const double shoulders = spec.lateral ? 0 : 22;  // no shoulder line seen from the side
    const double hw = 58 + (g.torso_half_width + shoulders - 58) * SmoothStep(-200, -160, y) -
                      shoulders * SmoothStep(-150, -60, y);
    const double row_disc = Fract(y / 30.0 + 0.3) > 0.84 ? 0.75 : 1.0;
    for (int col = 0; col < spec.columns; ++col) {
      const double x = (col + 0.5 - cx) * pmm;
      if (std::abs(x) >= hw) continue;
      const double soft = 2 * g.torso_depth * std::sqrt(1 - (x / hw) * (x / hw));
      double air = 0;
      for (int side = 0; side < 2; ++side) {
        const double lx = g.lung_x[side];
        const double dome = g.dome_y[side] + 0.01 * (x - lx) * (x - lx);
        if (y > dome + 10) continue;
        const double edge = 1 - SmoothStep(dome - 10, dome + 10, y);
        air =
            std::max(air, Ellipsoid(x - lx, y - g.lung_y, g.lung_a, g.lung_b, g.lung_depth) * edge);
      }
      const double heart = Ellipsoid(x - g.heart_x, y - g.heart_y, g.heart_a, g.heart_b, 55);
      air = std::max(0.0, air - heart);
      double bone = 0;
      const double sx = (x - g.spine_x) / 22;
      if (std::abs(sx) < 1) bone += 30 * std::sqrt(1 - sx * sx) * row_disc;
      double extra = 0;
      if (habitus.female && !spec.lateral) {
        extra += Ellipsoid(std::abs(x) - 85, y - 85, 75, 55, 22);
      }
      // Gas in the stomach under the left dome.
      const double gas = spec.lateral ? 0 : Ellipsoid(x - 78, y - 112, 32, 18, 20);
      const double a = kSoftPerMm * (soft + extra - air - gas) + kBonePerMm * bone;
      att.At(col, row) = static_cast<int32_t>(a * kMilli);
    }
  }

  // Ribs, clavicles.
  if (!spec.lateral) {
    const double reach = g.torso_half_width - 8;
    for (int side = -1; side <= 1; side += 2) {
      for (int k = 0; k < 10; ++k) {
        const double y0 = -150 + 25 * k;
        // Posterior ribs: rise from the spine, then sweep down laterally.
        AddBand(att, pmm, side * 18, side * reach, 6.0, 11, [&](double x) {
          const double u = std::abs(x) - 18;
          return y0 - 0.25 * u + 0.0042 * u * u;
        });
        // Anterior ribs: fainter, sloping down towards the midline.
        AddBand(att, pmm, side * 45, side * (reach - 5), 5.0, 5, [&](double x) {
          const double u = reach - std::abs(x);
          return y0 + 55 + 0.32 * u;
        });
      }
      AddBand(att, pmm, side * 12, side * (reach * 0.85), 7.5, 14, [&](double x) {
        const double u = std::abs(x);
        return -165 + 0.1 * u + 0.0008 * u * u;
      });
    }
  } else {
    // Ribs project as oblique arcs; the sternum as an anterior band.
    for (int k = 0; k < 10; ++k) {
      const double y0 = -140 + 25 * k;
      AddBand(att, pmm, g.spine_x - 10, -g.torso_half_width + 15, 5.5, 9,
              [&](double x) { return y0 + 0.35 * (g.spine_x - x) - 0.0009 * (x - 10) * (x - 10); });
    }
    AddBand(att, pmm, -g.torso_half_width + 8, -g.torso_half_width + 22, 90, 10,
            [&](double) { return -40.0; });
  }

  // Lung markings: vessels branching out from the hila, thinner outwards.
  Rng markings(HashOf({habitus.seed, 9101, spec.lateral ? 1u : 0u}));
  MmPainter painter(att, pmm);
  for (int side = 0; side < 2; ++side) {
    const double hx = spec.lateral ? 10 : g.lung_x[side] * 0.45;
    const double hy = g.lung_y + 15;
    for (int k = 0; k < 40; ++k) {
      const double base = spec.lateral ? markings.Uniform(0, 2 * kPi)
                                       : (side == 0 ? kPi : 0) + markings.Uniform(-1.3, 1.3);
      const double length = markings.Uniform(40, 110);
      double angle = base;
      // Start a little away from the hilum, so the vessels do not pile up on one point.
      double x = hx + 25 * std::cos(base) + markings.Uniform(-12, 12);
      double yv = hy + 25 * std::sin(base) + markings.Uniform(-30, 30);
      for (double s = 0; s < length; s += 1.5) {
        angle += markings.Uniform(-0.05, 0.05);
        x += 1.5 * std::cos(angle);
        yv += 1.5 * std::sin(angle);
        const double r = 1.8 * (1 - s / length) + 0.4;
        painter.Add(x, yv, r, r, static_cast<int32_t>(kSoftPerMm * 1.6 * r * kMilli));
      }
    }
  }

  // Attenuation -> stored value through a compression curve (a LUT), with
  // collimation outside the exposed field.
  const int32_t max_value = (1 << spec.bits_stored) - 1;
  constexpr int kLutSize = 16 * kMilli;
  std::vector<int32_t> lut(kLutSize);
  for (int i = 0; i < kLutSize; ++i) {
    const double a = static_cast<double>(i) / kMilli;
    const double darkness = 0.9 - 0.8 * (1 - std::exp(-a / 3.2));  // of the full range
    lut[static_cast<size_t>(i)] = static_cast<int32_t>(darkness * max_value);
  }
  const int margin_x = spec.columns / 28;
  const int margin_y = spec.rows / 32;
  for (int row = 0; row < spec.rows; ++row) {
    for (int col = 0; col < spec.columns; ++col) {
      const bool collimated = col < margin_x || col >= spec.columns - margin_x || row < margin_y ||
                              row >= spec.rows - margin_y;
      const int32_t a = collimated ? kLutSize - 1 : std::clamp(att.At(col, row), 0, kLutSize - 1);
      att.At(col, row) = lut[static_cast<size_t>(a)];
    }
  }
  Rng noise(spec.noise_seed);
  AddNoiseAndBlur(att, max_value / 300.0, noise);

  std::vector<uint16_t> out(att.px.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const int32_t v = std::clamp(att.px[i], 0, max_value);
    out[i] = static_cast<uint16_t>(spec.monochrome1 ? v : max_value - v);
  }
  return out;
}

}  // namespace cf::dicom::synth
