#include "datasets/detail/master_finger.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tunggal::datasets::detail {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;
// Minutiae per px² at 500 ppi. Tuned so that impressions match FVC2002's minutiae count and
// nearest-neighbour distances (docs/population.md, `tunggal gen --stats`).
constexpr float kDensityLow = 4.6e-4f, kDensityHigh = 6.8e-4f;
constexpr float kHardCore = 6.0f;
// Rows of kHardCore px for the hard-core test: a dart is compared only with minutiae in its row and
// the two neighbours (~3 instead of all ~75). Covers prints up to 128 * 6 = 768 px tall.
constexpr int kRows = 128;

}  // namespace

void make_master_finger(Rng& pattern_rng, Rng& rng, bool right_hand, MasterFinger& out) {
  out.half_width = rng.uniform(150.0f, 185.0f);
  out.half_height = out.half_width * rng.uniform(1.25f, 1.45f);
  const PatternClass pattern = draw_pattern(pattern_rng, right_hand);
  out.field = make_orientation_field(pattern, rng, out.half_width, out.half_height);

  const float area = kPi * out.half_width * out.half_height;
  const int target = std::min(MasterFinger::kMaxMinutiae,
                              static_cast<int>(std::lround(area * rng.uniform(kDensityLow, kDensityHigh))));
  out.count = 0;
  std::array<std::int8_t, kRows> head;
  std::array<std::int8_t, MasterFinger::kMaxMinutiae> next;
  head.fill(-1);
  // Dart throwing inside the ellipse; the hard core rejects few darts at this density.
  for (int tries = 0; out.count < target && tries < 4 * target; ++tries) {
    const float u = rng.uniform(-1.0f, 1.0f), v = rng.uniform(-1.0f, 1.0f);
    if (u * u + v * v > 1.0f) continue;
    const float x = u * out.half_width, y = v * out.half_height;
    const int row = std::clamp(static_cast<int>((y + out.half_height) / kHardCore), 0, kRows - 1);
    bool close = false;
    for (int r = std::max(0, row - 1); r <= std::min(kRows - 1, row + 1) && !close; ++r) {
      for (int k = head[r]; k >= 0 && !close; k = next[k]) {
        const float dx = out.minutiae[k].x - x, dy = out.minutiae[k].y - y;
        close = dx * dx + dy * dy < kHardCore * kHardCore;
      }
    }
    if (close) continue;
    next[out.count] = head[row];
    head[row] = static_cast<std::int8_t>(out.count);
    MasterMinutia& m = out.minutiae[out.count++];
    m.x = x;
    m.y = y;
    const std::uint64_t bits = rng.next();
    m.reversed = bits & 1;
    m.type = ((bits >> 8) & 0xff) < 154 ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation;
  }
}

float MasterFinger::angle(int i) const {
  const MasterMinutia& m = minutiae[i];
  const float a = field.orientation(m.x, m.y) + (m.reversed ? kPi : 0.0f);
  return a >= 2 * kPi ? a - 2 * kPi : a;
}

}  // namespace tunggal::datasets::detail
