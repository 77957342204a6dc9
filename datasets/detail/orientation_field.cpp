#include "datasets/detail/orientation_field.h"

#include <cmath>
#include <numbers>

namespace tunggal::datasets::detail {
namespace {
constexpr float kPi = std::numbers::pi_v<float>;
}

float fast_atan2(float y, float x) {
  // Octant reduction + minimax polynomial for atan on [0, 1] (max error ~1e-5 rad).
  const float ax = std::fabs(x), ay = std::fabs(y);
  const float mx = ax > ay ? ax : ay, mn = ax > ay ? ay : ax;
  if (mx == 0.0f) return 0.0f;
  const float a = mn / mx, s = a * a;
  float r = ((-0.0464964749f * s + 0.15931422f) * s - 0.327622764f) * s * a + a;
  if (ay > ax) r = 0.5f * kPi - r;
  if (x < 0) r = kPi - r;
  return y < 0 ? -r : r;
}

float OrientationField::orientation(float x, float y) const {
  float t = theta0;
  if (pattern == PatternClass::kArch) {
    // Ridges y = y0 - A(y)·exp(-x²/2s²): slope dy/dx = A(y)·x/s²·exp(-x²/2s²); A fades to 0 at the base.
    const float w = arch_width, fade = std::fmax(0.0f, std::fmin(1.0f, (arch_base - y) / (2.0f * arch_base)));
    const float slope = arch_amplitude * fade * x / (w * w) * std::exp(-x * x / (2.0f * w * w));
    t += fast_atan2(slope, 1.0f);
  } else {
    float s = 0.0f;
    for (int k = 0; k < cores; ++k) s += fast_atan2(y - core_y[k], x - core_x[k]);
    for (int k = 0; k < deltas; ++k) s -= fast_atan2(y - delta_y[k], x - delta_x[k]);
    t += 0.5f * s;
  }
  t -= kPi * std::floor(t * (1.0f / kPi));  // mod π, cheaper than fmod
  return t >= kPi || t < 0.0f ? 0.0f : t;
}

PatternClass draw_pattern(Rng& rng, bool right_hand) {
  const float u = rng.uniform();
  if (u < 0.035f) return PatternClass::kArch;
  if (u < 0.065f) return PatternClass::kTentedArch;
  if (u < 0.36f) return PatternClass::kWhorl;
  // Ulnar loops (opening towards the little finger) are ~9 in 10 loops; which side of the image
  // that is depends on the hand.
  const bool ulnar = rng.uniform() < 0.9f;
  return (ulnar == right_hand) ? PatternClass::kRightLoop : PatternClass::kLeftLoop;
}

OrientationField make_orientation_field(PatternClass pattern, Rng& g, float hw, float hh) {
  OrientationField f;
  f.pattern = pattern;
  f.theta0 = g.normal(0.0f, 0.08f);  // ridges across the finger, with a slight personal slant
  // The core sits a little above the print's centre; plain impressions are centred on it.
  const float cx = g.normal(0.0f, 0.08f * hw), cy = g.normal(-0.1f * hh, 0.08f * hh);
  switch (pattern) {
    case PatternClass::kArch:
      f.arch_amplitude = g.uniform(0.2f, 0.6f) * hh;
      f.arch_width = g.uniform(0.35f, 0.6f) * hw;
      f.arch_base = hh;
      break;
    case PatternClass::kTentedArch:
      f.cores = f.deltas = 1;
      f.core_x[0] = cx, f.core_y[0] = cy;
      f.delta_x[0] = cx + g.normal(0.0f, 6.0f), f.delta_y[0] = cy + g.uniform(35.0f, 70.0f);
      break;
    case PatternClass::kLeftLoop:
    case PatternClass::kRightLoop: {
      const float side = pattern == PatternClass::kRightLoop ? -1.0f : 1.0f;  // delta opposite the opening
      f.cores = f.deltas = 1;
      f.core_x[0] = cx, f.core_y[0] = cy;
      f.delta_x[0] = cx + side * g.uniform(0.45f, 0.8f) * hw;
      f.delta_y[0] = cy + g.uniform(0.45f, 0.8f) * hh;
      f.theta0 += side * 0.1f;
      break;
    }
    case PatternClass::kWhorl: {
      f.cores = f.deltas = 2;
      const float spread = g.uniform(8.0f, 30.0f), tilt = g.normal(0.0f, 0.6f);
      f.core_x[0] = cx - spread * std::cos(tilt), f.core_y[0] = cy - spread * std::sin(tilt);
      f.core_x[1] = cx + spread * std::cos(tilt), f.core_y[1] = cy + spread * std::sin(tilt);
      for (int k = 0; k < 2; ++k) {
        const float side = k == 0 ? -1.0f : 1.0f;
        f.delta_x[k] = cx + side * g.uniform(0.5f, 0.85f) * hw;
        f.delta_y[k] = cy + g.uniform(0.45f, 0.8f) * hh;
      }
      break;
    }
  }
  return f;
}

}  // namespace tunggal::datasets::detail
