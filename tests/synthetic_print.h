#pragma once
// Synthetic finger images for tests that must run without the FVC2002 data: parallel ridges with
// phase singularities planted at known points (each winds the ridge phase by 2π, i.e. one ridge
// ending or bifurcation), inside an elliptic "finger" on a light background. Enough of them pass
// the extractor's quality gate; distinct `seed`s plant them elsewhere (another "finger").
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "ingest/fingerprint_image.h"

namespace tunggal::testing {

inline ingest::GreyImage synthetic_print(std::uint32_t seed, int w = 320, int h = 360, int minutiae = 30) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> ux(0.25 * w, 0.75 * w), uy(0.25 * h, 0.75 * h);
  std::uniform_real_distribution<double> tilt(0.0, std::numbers::pi);
  std::vector<std::pair<double, double>> points;
  // Planted points at least 24 px apart (closer pairs are removed as clusters by the extractor).
  for (int tries = 0; int(points.size()) < minutiae && tries < 10000; ++tries) {
    const double x = ux(rng), y = uy(rng);
    bool ok = true;
    for (const auto& [px, py] : points) ok = ok && std::hypot(px - x, py - y) >= 24.0;
    if (ok) points.emplace_back(x, y);
  }
  const double t = tilt(rng), c = std::cos(t), s = std::sin(t), period = 9.0;
  ingest::GreyImage g;
  g.width = w, g.height = h;
  g.pixels.resize(std::size_t(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double phase = 2 * std::numbers::pi * (-x * s + y * c) / period;
      for (std::size_t k = 0; k < points.size(); ++k)
        phase += (k % 2 ? -1.0 : 1.0) * std::atan2(y - points[k].second, x - points[k].first);
      const double ex = (x - w / 2.0) / (0.46 * w), ey = (y - h / 2.0) / (0.46 * h);
      const bool inside = ex * ex + ey * ey < 1.0;
      g.pixels[std::size_t(y) * w + x] = std::uint8_t(inside ? 128 + 90 * std::cos(phase) : 235);
    }
  return g;
}

inline std::vector<std::uint8_t> synthetic_print_png(std::uint32_t seed) {
  auto png = ingest::encode_png(synthetic_print(seed));
  return png ? *png : std::vector<std::uint8_t>{};
}

// A flat grey PNG: decodes fine, no fingerprint (the quality check rejects it).
inline std::vector<std::uint8_t> blank_png(int w = 300, int h = 300) {
  ingest::GreyImage g;
  g.width = w, g.height = h;
  g.pixels.assign(std::size_t(w) * h, 200);
  auto png = ingest::encode_png(g);
  return png ? *png : std::vector<std::uint8_t>{};
}

// A valid PNG cut after its header and a few bytes of pixel data: corrupt/truncated.
inline std::vector<std::uint8_t> truncated_png(std::uint32_t seed) {
  auto png = synthetic_print_png(seed);
  png.resize(std::min<std::size_t>(png.size(), 120));
  return png;
}

}  // namespace tunggal::testing
