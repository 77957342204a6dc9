#include "datasets/detail/impression.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "datasets/detail/plastic_distortion.h"

namespace tunggal::datasets::detail {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;
constexpr float kTwoPi = 2.0f * kPi;
constexpr float kDeg = kPi / 180.0f;

float wrap_2pi(float a) {
  a = std::fmod(a, kTwoPi);
  if (a < 0) a += kTwoPi;
  return a >= kTwoPi ? 0.0f : a;
}

// Per-impression noise levels. The ranges are the (10-25% missing, 5-15% spurious, few px
// of jitter), then tuned against FVC2002 with `tunggal gen --stats` (docs/population.md).
struct NoiseLevels {
  float miss, miss_border, spurious, pos_sigma, angle_sigma, type_swap;
  int quality;
};

NoiseLevels draw_noise(const ImpressionConditions& c, Rng& rng) {
  NoiseLevels n;
  n.miss = rng.uniform(0.08f, 0.20f);
  n.miss_border = 0.35f;
  n.spurious = rng.uniform(0.05f, 0.15f);
  n.pos_sigma = rng.uniform(1.0f, 2.1f);
  n.angle_sigma = rng.uniform(4.0f, 7.0f) * kDeg;
  n.type_swap = 0.10f;
  n.quality = static_cast<int>(std::lround(std::clamp(rng.normal(72.0f, 10.0f), 40.0f, 98.0f)));
  if (c.damaged) {
    // Worn ridges (manual labour, age) and scars: whole regions without reliable minutiae.
    n.miss += rng.uniform(0.15f, 0.35f);
    n.spurious += rng.uniform(0.10f, 0.25f);
    n.pos_sigma *= 1.4f;
    n.angle_sigma *= 1.4f;
    n.quality = std::min(n.quality, rng.uniform_int(15, 40));
  }
  if (c.low_quality) {
    // Dry or wet skin, a dirty platen, a rushed capture.
    n.miss += rng.uniform(0.15f, 0.30f);
    n.spurious += rng.uniform(0.10f, 0.20f);
    n.pos_sigma *= 1.6f;
    n.angle_sigma *= 1.6f;
    n.type_swap = 0.25f;
    n.quality = std::min(n.quality, rng.uniform_int(5, 30));
  }
  return n;
}

}  // namespace

void make_impression(const MasterFinger& master, const ImpressionConditions& c, Rng& rng, FingerTemplate& out) {
  const NoiseLevels noise = draw_noise(c, rng);
  const float hw = master.half_width, hh = master.half_height;

  // 1. Contact region.
  float ca = hw * rng.uniform(0.7f, 0.98f), cb = hh * rng.uniform(0.65f, 0.93f);
  float ccx = rng.normal(0.0f, 0.08f * hw), ccy = rng.normal(0.0f, 0.08f * hh);
  if (rng.bernoulli(0.1)) {  // tip or side touch
    const float shrink = rng.uniform(0.55f, 0.75f), dir = rng.uniform(0.0f, kTwoPi);
    ca *= shrink;
    cb *= shrink;
    ccx += 0.35f * hw * std::cos(dir);
    ccy += 0.35f * hh * std::sin(dir);
  }

  // 2. Plastic distortion about the contact centre.
  PlasticDistortion dist;
  dist.cx = ccx;
  dist.cy = ccy;
  dist.r1 = rng.uniform(0.25f, 0.45f) * std::min(ca, cb);
  dist.k = rng.uniform(40.0f, 80.0f);
  dist.set_rotation(rng.normal(0.0f, 2.5f * kDeg));
  dist.dx = rng.normal(0.0f, 7.0f);
  dist.dy = rng.normal(0.0f, 7.0f);

  // 6 (parameters). Placement: the contact centre lands near the frame centre.
  const float phi = std::clamp(rng.normal(0.0f, 12.0f * kDeg), -30.0f * kDeg, 30.0f * kDeg);
  const float cphi = std::cos(phi), sphi = std::sin(phi);
  const float W = static_cast<float>(c.frame_width), H = static_cast<float>(c.frame_height);
  const float tx = W * 0.5f + rng.normal(0.0f, 0.06f * W) - (cphi * ccx - sphi * ccy);
  const float ty = H * 0.5f + rng.normal(0.0f, 0.06f * H) - (sphi * ccx + cphi * ccy);

  out.width = static_cast<std::uint16_t>(c.frame_width);
  out.height = static_cast<std::uint16_t>(c.frame_height);
  out.resolution_x = out.resolution_y = 197;
  out.quality = static_cast<std::uint8_t>(noise.quality);
  out.minutiae.clear();

  const float inv_a2 = 1.0f / (ca * ca), inv_b2 = 1.0f / (cb * cb);
  auto emit = [&](float x, float y, float angle, MinutiaType type) {
    const float local_rot = dist.apply(x, y);
    x += noise.pos_sigma * rng.normal();
    y += noise.pos_sigma * rng.normal();
    const float X = tx + cphi * x - sphi * y, Y = ty + sphi * x + cphi * y;
    if (X < 0.0f || Y < 0.0f || X > W - 1.0f || Y > H - 1.0f) return;  // off the sensor
    const float a = angle + local_rot + phi + noise.angle_sigma * rng.normal();
    Minutia m;
    m.x = static_cast<std::uint16_t>(std::lround(X));
    m.y = static_cast<std::uint16_t>(std::lround(Y));
    m.angle = wrap_2pi(-a);  // image direction (y down) -> ISO counter-clockwise, y up
    if (rng.bernoulli(noise.type_swap)) {
      type = type == MinutiaType::kRidgeEnding ? MinutiaType::kBifurcation : MinutiaType::kRidgeEnding;
    }
    m.type = type;
    m.quality = static_cast<std::uint8_t>(std::clamp(std::lround(noise.quality + rng.normal(0.0f, 10.0f)), 1L, 100L));
    out.minutiae.push_back(m);
  };

  // 3-5. True minutiae inside the contact region, minus the missed ones.
  int in_contact = 0;
  for (int i = 0; i < master.count; ++i) {
    const MasterMinutia& mm = master.minutiae[i];
    const float ex = mm.x - ccx, ey = mm.y - ccy;
    const float r2 = ex * ex * inv_a2 + ey * ey * inv_b2;
    if (r2 > 1.0f) continue;
    ++in_contact;
    const float miss = noise.miss + (r2 > 0.7f ? noise.miss_border : 0.0f);
    if (rng.uniform() < miss) continue;
    emit(mm.x, mm.y, master.angle(i), mm.type);
  }
  // 4. Spurious minutiae along the ridge flow, anywhere in the contact region.
  const int spurious = static_cast<int>(std::lround(in_contact * noise.spurious * rng.uniform(0.5f, 1.5f)));
  for (int s = 0; s < spurious; ++s) {
    float u, v;
    do {
      u = rng.uniform(-1.0f, 1.0f);
      v = rng.uniform(-1.0f, 1.0f);
    } while (u * u + v * v > 1.0f);
    const float x = ccx + u * ca, y = ccy + v * cb;
    const std::uint64_t bits = rng.next();
    const float a = master.field.orientation(x, y) + ((bits & 1) ? kPi : 0.0f) + 0.3f * rng.normal();
    emit(x, y, a, (bits & 2) ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation);
  }
  // Extractors report minutiae in scan order, not "true ones first": shuffle the spurious in.
  for (std::size_t i = out.minutiae.size(); i > 1; --i) {
    std::swap(out.minutiae[i - 1], out.minutiae[rng.below(i)]);
  }
  if (out.minutiae.size() > 255) out.minutiae.resize(255);  // ISO/IEC 19794-2's limit per view
}

}  // namespace tunggal::datasets::detail
