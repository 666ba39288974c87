// SPDX-License-Identifier: Apache-2.0
// The CT phantom: an axial slice through a chest-abdomen-pelvis body. Organs
// are ellipses whose size and position are smooth functions of the position
// t along the body, so a series scrolls like a real one (lungs open up and
// give way to the liver, kidneys come and go, vertebrae alternate with discs).
// Contrast phase changes vessel and organ enhancement between series. The
// correlated noise is what makes lossless ratios land where real CT does.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "dicom/synth/phantom.hpp"
#include "dicom/synth/shapes.hpp"

namespace cf::dicom::synth {
namespace {

constexpr double kPi = std::numbers::pi;

struct Enhancement {
  int32_t artery;
  int32_t vein;
  int32_t portal;
  int32_t liver;
  int32_t spleen;
  int32_t myocardium;
  int32_t kidney_cortex;
  int32_t kidney_medulla;
  int32_t collecting_system;
  int32_t bowel_wall;
  int32_t pancreas;
};

Enhancement EnhancementOf(CtPhase phase) {
  switch (phase) {
    case CtPhase::kNonContrast:
      return {42, 40, 40, 58, 48, 42, 33, 30, 8, 38, 40};
    case CtPhase::kArterial:
      return {330, 70, 110, 72, 115, 115, 185, 65, 10, 90, 115};
    case CtPhase::kPortalVenous:
      return {165, 150, 175, 112, 120, 95, 165, 145, 12, 75, 95};
    case CtPhase::kDelayed:
      return {110, 105, 110, 88, 90, 75, 125, 120, 520, 60, 70};
  }
  return {};
}

// The patient table: a carbon-fibre cradle with a foam core under the body.
void PaintTable(MmPainter& p, double top_y) {
  Raster& r = p.raster();
  const double s = p.scale();
  const double cx = r.width / 2.0;
  const double cy = r.height / 2.0;
  for (int col = 0; col < r.width; ++col) {
    const double x = (col + 0.5 - cx) / s;
    if (std::abs(x) > 225) continue;
    const double rise = 900 - std::sqrt(900.0 * 900.0 - x * x);  // the cradle curves up
    const double y_top = top_y - rise;
    const auto row_of = [&](double y) { return static_cast<int>(std::lround(cy + y * s)); };
    const int r0 = std::max(0, row_of(y_top));
    const int r1 = std::min(r.height, row_of(y_top + 3.5));
    const int r2 = std::min(r.height, row_of(y_top + 34));
    const int r3 = std::min(r.height, row_of(y_top + 37.5));
    for (int row = r0; row < r3; ++row) {
      r.At(col, row) = (row < r1 || row >= r2) ? 250 : -940;
    }
  }
}

struct Body {
  double yc;  // body centre
  double a;   // outer semi-axes
  double b;
  double ai;  // inner (cavity) semi-axes
  double bi;
  double ys;  // vertebral body centre
  double rv;  // vertebral body radius
};

void PaintSpine(MmPainter& p, const Body& body, double t, double z_mm, double phase_offset) {
  const double level = Fract(z_mm / 27.0 + phase_offset);
  const bool sacrum = t > 0.8;
  const double ys = body.ys;
  const double rv = body.rv;
  // Paraspinal muscles.
  p.Fill(-32, ys + rv + 16, 24, 19, 52);
  p.Fill(32, ys + rv + 16, 24, 19, 52);
  if (sacrum) {
    const double w = 48 * (1 - 1.6 * (t - 0.8));
    p.Shell(0, ys + 8, w, 20, 2.5, 620, 240);
    p.Fill(0, ys + 10, 9, 6, 25);  // sacral canal
    return;
  }
  if (level < 0.82) {
    p.Shell(0, ys, rv * 1.12, rv, 2.2, 720, 235);
  } else {
    p.Fill(0, ys, rv * 1.12, rv, 88);  // intervertebral disc
  }
  if (level < 0.62) {
    p.Shell(0, ys + rv + 11, 17, 13, 3, 650, 240);            // pedicles and lamina
    if (level < 0.45) p.Fill(0, ys + rv + 27, 4.5, 10, 640);  // spinous process
    if (t < 0.62) {
      p.Fill(-27, ys + rv + 6, 13, 4.5, 630, 0.25);  // transverse processes
      p.Fill(27, ys + rv + 6, 13, 4.5, 630, -0.25);
    }
  } else {
    p.Shell(-15, ys + rv + 12, 7, 6, 2, 650, 260);  // facet joints beside the disc
    p.Shell(15, ys + rv + 12, 7, 6, 2, 650, 260);
  }
  p.Fill(0, ys + rv + 10, 9.5, 8, 30);  // spinal canal: CSF and cord
}

void PaintRibs(MmPainter& p, const Body& body, double t, double z_mm) {
  const double presence = Window(t, 0.01, 0.05, 0.55, 0.64);
  if (presence <= 0.05) return;
  // Ribs run obliquely, so at a given z each one crosses the slice at an
  // angle around the chest wall that depends on z.
  const double ra = body.ai + 5;
  const double rb = body.bi + 5;
  for (int side = -1; side <= 1; side += 2) {
    for (int j = 0; j < 9; ++j) {
      const double theta = (0.14 + 0.09 * j) * kPi;  // from posterior (0) to anterior (pi)
      const double level = Fract((z_mm + 55 * theta / kPi) / 29.0);
      if (level > 0.42) continue;
      if (theta > 0.8 * kPi && t > 0.4) continue;  // costal cartilage ends anteriorly
      const double x = side * ra * std::sin(theta);
      const double y = body.yc + rb * std::cos(theta);
      const double tangent = std::atan2(rb * -std::sin(theta), side * ra * std::cos(theta));
      const int32_t cortex = theta > 0.78 * kPi ? 180 : 700;  // cartilage is soft
      p.Shell(x, y, 8.5 * presence, 4.8, 1.6, cortex, cortex > 500 ? 260 : 120, tangent);
    }
  }
}

void PaintLungs(MmPainter& p, const Body& body, const Enhancement& e, double t, uint64_t seed) {
  for (int side = -1; side <= 1; side += 2) {
    // The right hemidiaphragm (image left, side -1) sits higher.
    const double end0 = side < 0 ? 0.24 : 0.27;
    const double size = Window(t, -0.02, 0.12, end0, end0 + 0.11);
    if (size <= 0.02) continue;
    const double low = 1 - SmoothStep(0.2, end0 + 0.11, t);  // shrinks into the recesses
    const double la = body.ai * 0.37 * (0.45 + 0.55 * size);
    const double lb = body.bi * 0.8 * (0.35 + 0.65 * size);
    const double lx = side * body.ai * (0.5 + 0.1 * (1 - low));
    const double ly = body.yc + body.bi * (0.04 + 0.35 * (1 - low));
    p.Fill(lx, ly, la, lb, -855);
    p.Fill(lx, ly + lb * 0.55, la * 0.85, lb * 0.35, -790);  // dependent lung is denser
    // Vessels: branches that drift as we move along z, thicker towards the hilum.
    for (int k = 0; k < 40; ++k) {
      Rng rng(HashOf({seed, 7001, static_cast<uint64_t>(side + 1), static_cast<uint64_t>(k)}));
      const double u0 = rng.Uniform(-0.8, 0.8);
      const double v0 = rng.Uniform(-0.8, 0.8);
      const double freq = rng.Uniform(1.5, 4.0);
      const double ph = rng.Uniform(0, 2 * kPi);
      const double u = std::clamp(u0 + 0.18 * std::sin(2 * kPi * freq * t + ph), -0.85, 0.85);
      const double v = std::clamp(v0 + 0.18 * std::cos(2 * kPi * freq * t + ph), -0.85, 0.85);
      if (u * u + v * v > 0.8) continue;
      const double medial = 0.5 * (1 - side * u);  // 1 at the hilum side
      const double radius = (0.6 + 3.0 * medial * medial * medial) * (0.5 + 0.5 * size);
      p.Fill(lx + u * la, ly + v * lb, radius, radius * 1.15, k % 3 == 0 ? e.vein : e.artery);
    }
    // Main bronchus near the hilum.
    if (t > 0.14 && t < 0.24) {
      p.Shell(side * 18 + side * 60 * (t - 0.14), body.ys - body.rv - 28, 6.5, 6.5, 1.8, 60, -980);
    }
  }
}

void PaintMediastinum(MmPainter& p, const Body& body, const Enhancement& e, double t) {
  const double ant = body.yc - body.bi * 0.3;
  // Trachea above the carina.
  if (t < 0.15) p.Shell(0, body.ys - body.rv - 28, 9.5, 8.5, 2, 60, -990);
  // Oesophagus.
  if (t < 0.42) p.Shell(7, body.ys - body.rv - 10, 6.5, 5.5, 4.5, 45, -900);
  // Heart with pericardial fat, myocardium and blood pools.
  const double h = Window(t, 0.12, 0.19, 0.27, 0.34);
  if (h > 0.02) {
    const double hx = body.ai * 0.16;
    const double hy = body.yc - body.bi * 0.12;
    const double ha = body.ai * 0.42 * (0.35 + 0.65 * h);
    const double hb = body.bi * 0.42 * (0.35 + 0.65 * h);
    p.Fill(hx, hy, ha + 5, hb + 5, -85, -0.35);
    p.Fill(hx, hy, ha, hb, e.myocardium, -0.35);
    p.Fill(hx + ha * 0.25, hy + hb * 0.1, ha * 0.42, hb * 0.45, e.artery, -0.35);      // LV
    p.Fill(hx - ha * 0.3, hy - hb * 0.3, ha * 0.45, hb * 0.33, e.vein, -0.35);         // RV
    if (t > 0.22) p.Fill(hx - ha * 0.55, hy + hb * 0.1, ha * 0.3, hb * 0.35, e.vein);  // RA
  }
  // Great vessels.
  if (t > 0.06 && t < 0.21) p.Fill(-12, ant + 12, 15, 15, e.artery);         // ascending aorta
  if (t > 0.06 && t < 0.2) p.Fill(-36, ant + 8, 10, 10, e.vein);             // SVC
  if (t > 0.12 && t < 0.19) p.Fill(18, ant + 4, 14, 13, e.vein);             // pulmonary trunk
  if (t > 0.045 && t < 0.075) p.Fill(-2, ant + 30, 30, 11, e.artery, -0.5);  // arch
  if (t > 0.0 && t < 0.06) {  // supra-aortic branches
    p.Fill(-14, ant + 18, 6, 6, e.artery);
    p.Fill(4, ant + 22, 5, 5, e.artery);
    p.Fill(16, ant + 26, 5, 5, e.artery);
  }
}

void PaintAbdomen(MmPainter& p, const Body& body, const Enhancement& e, double t, double z_mm,
                  uint64_t seed, bool female) {
  const double ai = body.ai;
  const double bi = body.bi;
  const double yc = body.yc;
  const double ret = body.ys - body.rv;  // front of the spine
  // Liver (with the left lobe crossing the midline higher up) and gallbladder.
  const double liver = Window(t, 0.24, 0.33, 0.47, 0.6);
  if (liver > 0.02) {
    const double s = 0.3 + 0.7 * liver;
    p.Fill(-ai * 0.38, yc - bi * 0.02, ai * 0.55 * s, bi * 0.78 * s, e.liver);
    if (t < 0.46) p.Fill(ai * 0.05, yc - bi * 0.45, ai * 0.38 * s, bi * 0.25 * s, e.liver, 0.15);
    for (int k = 0; k < 9; ++k) {
      Rng rng(HashOf({seed, 7101, static_cast<uint64_t>(k)}));
      const double u = rng.Uniform(-0.7, 0.7) + 0.1 * std::sin(9 * t + k);
      const double v = rng.Uniform(-0.7, 0.7) + 0.1 * std::cos(7 * t + k);
      const double rr = rng.Uniform(1.5, 5.0) * s;
      p.Fill(-ai * 0.38 + u * ai * 0.45 * s, yc - bi * 0.02 + v * bi * 0.6 * s, rr, rr,
             k % 2 ? e.portal : e.vein);
    }
    const double gb = Window(t, 0.41, 0.44, 0.49, 0.52);
    if (gb > 0.05) p.Shell(-ai * 0.22, yc - bi * 0.38, 16 * gb, 24 * gb, 1.5, 45, 8, 0.4);
  }
  // Spleen and stomach.
  const double spleen = Window(t, 0.29, 0.35, 0.45, 0.51);
  if (spleen > 0.02)
    p.Fill(ai * 0.62, yc + bi * 0.32, ai * 0.2 * spleen, bi * 0.36 * spleen, e.spleen, -0.5);
  const double stomach = Window(t, 0.31, 0.36, 0.46, 0.52);
  if (stomach > 0.02) {
    const double sx = ai * 0.33;
    const double sy = yc - bi * 0.25;
    p.Shell(sx, sy, ai * 0.3 * stomach, bi * 0.33 * stomach, 4, e.bowel_wall, 18);
    p.Fill(sx, sy - bi * 0.2 * stomach, ai * 0.22 * stomach, bi * 0.1 * stomach, -985);
  }
  // Pancreas, mesenteric vessels.
  if (t > 0.43 && t < 0.53) {
    const double w = Window(t, 0.43, 0.46, 0.5, 0.53);
    p.Fill(ai * 0.08, ret - 38, ai * 0.38 * w, 11 * w, e.pancreas, -0.25);
  }
  if (t > 0.46 && t < 0.72) {
    p.Fill(6, ret - 32 - 40 * (t - 0.46), 4, 4, e.artery);    // SMA
    p.Fill(-12, ret - 34 - 40 * (t - 0.46), 6, 6, e.portal);  // SMV
  }
  // Kidneys, angled, with sinus fat and collecting system; the left sits higher.
  for (int side = -1; side <= 1; side += 2) {
    const double ts = t + (side > 0 ? 0.02 : 0);
    const double k = Window(ts, 0.46, 0.52, 0.62, 0.68);
    if (k <= 0.03) continue;
    const double kx = side * (body.rv + 52);
    const double ky = body.ys - 6;
    const double ka = 30 * (0.4 + 0.6 * k);
    const double kb = 22 * (0.4 + 0.6 * k);
    const double ang = -side * 0.55;
    p.Fill(kx, ky, ka + 6, kb + 6, -95, ang);  // perirenal fat
    p.Fill(kx, ky, ka, kb, e.kidney_cortex, ang);
    p.Fill(kx, ky, ka * 0.7, kb * 0.62, e.kidney_medulla, ang);
    p.Fill(kx - side * ka * 0.25, ky, ka * 0.32, kb * 0.3, -70, ang);  // sinus fat
    p.Fill(kx - side * ka * 0.3, ky, ka * 0.18, kb * 0.16, e.collecting_system, ang);
  }
  // Psoas muscles.
  if (t > 0.54) {
    const double g = std::min(1.0, (t - 0.54) / 0.3);
    p.Fill(-(body.rv + 14 + 18 * g), body.ys - 2, 10 + 14 * g, 12 + 8 * g, 50);
    p.Fill(body.rv + 14 + 18 * g, body.ys - 2, 10 + 14 * g, 12 + 8 * g, 50);
  }
  // Bowel loops drifting along z: fluid, gas, or stool with gas bubbles.
  const double bowel = Window(t, 0.44, 0.5, 0.86, 0.93);
  if (bowel > 0.05) {
    for (int k = 0; k < 22; ++k) {
      Rng rng(HashOf({seed, 7201, static_cast<uint64_t>(k)}));
      const double u0 = rng.Uniform(-0.75, 0.75);
      const double v0 = rng.Uniform(-0.85, 0.3);
      const double f = rng.Uniform(0.004, 0.012);
      const double ph = rng.Uniform(0, 2 * kPi);
      const int kind = rng.Int(0, 5);
      const double r = rng.Uniform(8, 17) * (0.5 + 0.5 * bowel);
      const double vis = Fract(z_mm * f * 0.5 + rng.Uniform());
      if (vis > 0.7) continue;
      const double x = ai * (u0 + 0.2 * std::sin(2 * kPi * f * z_mm + ph));
      const double y = yc + bi * (v0 + 0.15 * std::cos(2 * kPi * f * z_mm + ph));
      p.Shell(x, y, r, r * 0.85, 2.2, e.bowel_wall, kind <= 2 ? 15 : (kind == 3 ? -990 : -120));
      if (kind >= 4) {
        for (int b = 0; b < 5; ++b) {
          p.Fill(x + rng.Uniform(-0.5, 0.5) * r, y + rng.Uniform(-0.5, 0.5) * r, rng.Uniform(1, 3),
                 rng.Uniform(1, 3), -950);
        }
      }
    }
    // Ascending and descending colon.
    if (t > 0.5 && t < 0.86) {
      p.Shell(-ai * 0.68, yc + bi * 0.05, 17, 15, 2.5, e.bowel_wall, -960);
      p.Shell(ai * 0.7, yc + bi * 0.15, 14, 13, 2.5, e.bowel_wall, -140);
    }
  }
  // Pelvis: iliac wings, hip joints, bladder, rectum, uterus or prostate.
  if (t > 0.71) {
    const double g = std::min(1.0, (t - 0.71) / 0.18);
    const double wing = Window(t, 0.71, 0.75, 0.88, 0.93);
    for (int side = -1; side <= 1; side += 2) {
      if (wing > 0.05) {
        // Iliac wings open anterolaterally from the sacroiliac joints.
        p.Shell(side * (body.rv + 62 + 25 * g), body.ys - 12 - 25 * g, 55 * wing, 10, 2.6, 660, 230,
                -side * (0.65 - 0.3 * g));
      }
      if (t > 0.9) {
        p.Shell(side * ai * 0.55, yc + bi * 0.15, 24, 24, 3, 640, 250);  // femoral head
        p.Fill(side * (ai * 0.55 + 20), yc + bi * 0.15, 14, 28, 600);    // acetabular rim
      }
    }
    const double bladder = SmoothStep(0.82, 0.92, t);
    if (bladder > 0.05) p.Shell(0, yc - bi * 0.3, ai * 0.3 * bladder, bi * 0.3 * bladder, 3, 45, 6);
    if (t > 0.82) p.Shell(0, body.ys - 38, 15, 13, 3, e.bowel_wall, -930);
    if (female && t > 0.86 && t < 0.95) p.Fill(0, yc - bi * 0.02, 34, 24, e.myocardium);
    if (!female && t > 0.95) p.Fill(0, yc + bi * 0.08, 18, 16, 45);
  }
  // Aorta becoming the iliac arteries, IVC becoming the iliac veins.
  if (t < 0.76) {
    const double dx = 15 + 8 * (1 - SmoothStep(0.3, 0.45, t));
    p.Fill(dx, ret - 10 - 4 * SmoothStep(0.35, 0.5, t), 11.5 - 2 * t, 11.5 - 2 * t, e.artery);
  } else if (t < 0.95) {
    const double spread = 14 + 150 * (t - 0.76);
    p.Fill(-spread, ret - 8, 7, 7, e.artery);
    p.Fill(spread, ret - 8, 7, 7, e.artery);
    p.Fill(-spread - 10, ret - 2, 8, 8, e.vein);
    p.Fill(spread + 10, ret - 2, 8, 8, e.vein);
  }
  if (t > 0.32 && t < 0.77) p.Fill(-22, ret - 12, 11, 10, e.vein);  // IVC
}

}  // namespace

Raster RenderCtSlice(const Habitus& habitus, const CtSlice& slice) {
  Raster raster(slice.size, slice.size, -1000);
  MmPainter p(raster, slice.pixel_mm);
  const double t = std::clamp(slice.t, 0.0, 1.0);
  const Enhancement e = EnhancementOf(slice.phase);

  Body body{};
  body.yc = -8;
  const double shoulders = 1 - SmoothStep(0.02, 0.12, t);
  body.a = (158 + 40 * shoulders + 8 * SmoothStep(0.7, 0.9, t)) * habitus.width_scale;
  body.b = (106 + 8 * Window(t, 0.35, 0.5, 0.7, 0.85)) * habitus.depth_scale;
  const double muscle = 12 + 4 * shoulders;
  body.ai = body.a - habitus.fat_mm - muscle;
  body.bi = body.b - habitus.fat_mm * 0.8 - muscle;
  body.rv = 13 + 10 * t;
  body.ys = body.yc + body.b - habitus.fat_mm * 0.8 - body.rv - 40;

  PaintTable(p, body.yc + body.b + 2);

  // Body wall: subcutaneous fat, muscle, then the cavity.
  // Each layer is the union of two ellipses: the back is flattened where the
  // patient lies on the table.
  const auto layer = [&](double inset_x, double inset_y, int32_t value) {
    p.Fill(0, body.yc, body.a - inset_x, body.b - inset_y, value);
    p.Fill(0, body.yc + body.b * 0.28, (body.a - inset_x) * 0.94, (body.b - inset_y) * 0.72 - 0.1,
           value);
  };
  layer(0, 0, -105);
  if (habitus.female) {
    const double breast = Window(t, 0.06, 0.12, 0.24, 0.3);
    if (breast > 0.05) {
      for (int side = -1; side <= 1; side += 2) {
        p.Fill(side * body.a * 0.42, body.yc - body.b * 0.82, 55 * breast, 42 * breast, -95);
        p.Fill(side * body.a * 0.42, body.yc - body.b * 0.85, 30 * breast, 20 * breast, 25);
      }
    }
  }
  layer(habitus.fat_mm, habitus.fat_mm * 0.8, 52);
  const bool chest = t < 0.36;
  const int32_t cavity =
      chest ? -70 : static_cast<int32_t>(std::clamp(-30 - habitus.fat_mm * 3.0, -105.0, -40.0));
  layer(body.a - body.ai, body.b - body.bi, cavity);
  if (t < 0.08) {  // shoulders: humeral heads and scapulae
    for (int side = -1; side <= 1; side += 2) {
      p.Shell(side * (body.a - 38), body.yc + 5, 24, 24, 3, 620, 240);
      p.Fill(side * body.a * 0.33, body.yc - body.b * 0.78, 34, 7, 650, side * 0.2);  // clavicle
    }
  }
  if (t < 0.2) {
    for (int side = -1; side <= 1; side += 2) {
      p.Fill(side * body.a * 0.55, body.yc + body.b * 0.74, 42, 4.5, 640, side * -0.45);
    }
  }

  // Abdominal organs first: at the domes the lung bases overlap them posteriorly.
  PaintAbdomen(p, body, e, t, slice.z_mm, habitus.seed, habitus.female);
  PaintLungs(p, body, e, t, habitus.seed);
  PaintMediastinum(p, body, e, t);
  PaintRibs(p, body, t, slice.z_mm);
  if (t > 0.05 && t < 0.32) p.Shell(0, body.yc - body.bi - 6, 14, 6, 1.8, 620, 230);  // sternum
  PaintSpine(p, body, t, slice.z_mm, static_cast<double>(habitus.seed % 1000) / 1000.0);

  Rng rng(slice.noise_seed);
  AddNoiseAndBlur(raster, slice.noise_hu / 0.375, rng);

  // Outside the reconstruction circle there is no data.
  const double radius = slice.size / 2.0;
  for (int y = 0; y < slice.size; ++y) {
    const double dy = y + 0.5 - radius;
    for (int x = 0; x < slice.size; ++x) {
      const double dx = x + 0.5 - radius;
      if (dx * dx + dy * dy > radius * radius) raster.At(x, y) = kOutsideFov;
    }
  }
  return raster;
}

}  // namespace cf::dicom::synth
