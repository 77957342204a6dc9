#include "matcher/detail/synthetic_finger.h"

#include <algorithm>
#include <cmath>

#include "matcher/detail/angles.h"

namespace tunggal::matcher::detail {

std::uint64_t SplitMix::next() {
  std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

float SplitMix::uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

float SplitMix::normal() {
  const float u1 = std::max(uniform(), 1e-7f), u2 = uniform();
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(kTwoPi * u2);
}

namespace {

float wrap(float a) {
  a = std::fmod(a, kTwoPi);
  if (a < 0) a += kTwoPi;
  return a >= kTwoPi ? 0.0f : a;
}

}  // namespace

FingerTemplate synthetic_finger(std::uint64_t seed, int n, int w, int h) {
  SplitMix rng(seed * 0x2545F4914F6CDD1DULL + 1);
  FingerTemplate t;
  t.width = static_cast<std::uint16_t>(w);
  t.height = static_cast<std::uint16_t>(h);
  // Ridge flow: a loop-like field around a random core plus a smooth wave, so that neighbouring
  // minutiae have related directions (as in real prints) but different fingers differ.
  const float cx = w * (0.4f + 0.2f * rng.uniform()), cy = h * (0.35f + 0.3f * rng.uniform());
  const float phase = rng.uniform() * kTwoPi, freq = 0.006f + 0.01f * rng.uniform();
  const float swirl = 0.3f + 0.7f * rng.uniform();
  const float ax = 0.38f * w, ay = 0.42f * h;
  for (int tries = 0; static_cast<int>(t.minutiae.size()) < n && tries < 20000; ++tries) {
    const float x = w * 0.5f + ax * (2 * rng.uniform() - 1), y = h * 0.5f + ay * (2 * rng.uniform() - 1);
    const float ex = (x - w * 0.5f) / ax, ey = (y - h * 0.5f) / ay;
    if (ex * ex + ey * ey > 1.0f) continue;
    bool close = false;
    for (const auto& m : t.minutiae) close |= std::hypot(m.x - x, m.y - y) < 9.0f;
    if (close) continue;
    const float flow = swirl * std::atan2(y - cy, x - cx) + phase + 0.8f * std::sin(freq * x + 0.5f * phase) +
                       0.6f * std::cos(freq * y);
    Minutia m;
    m.x = static_cast<std::uint16_t>(std::clamp(x, 0.0f, w - 1.0f));
    m.y = static_cast<std::uint16_t>(std::clamp(y, 0.0f, h - 1.0f));
    m.angle = wrap(flow + (rng.uniform() < 0.5f ? 0.0f : kPi) + 0.25f * rng.normal());
    m.type = rng.uniform() < 0.5f ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation;
    t.minutiae.push_back(m);
  }
  return t;
}

FingerTemplate synthetic_impression(const FingerTemplate& t, std::uint64_t seed, float degrees, float tx,
                                    float ty, float jitter, float drop, int spurious) {
  SplitMix rng(seed * 0x9E3779B97F4A7C15ULL + 7);
  const float r = degrees * kPi / 180.0f;
  const float cx = t.width / 2.0f, cy = t.height / 2.0f;
  FingerTemplate o = t;
  o.minutiae.clear();
  for (const auto& m : t.minutiae) {
    if (rng.uniform() < drop) continue;
    const float dx = m.x - cx, dy = m.y - cy;
    // y points down: a rotation counter-clockwise on screen is (x cos + y sin, -x sin + y cos); ISO
    // angles are counter-clockwise too, so they grow by r.
    const float x = cx + dx * std::cos(r) + dy * std::sin(r) + tx + jitter * rng.normal();
    const float y = cy - dx * std::sin(r) + dy * std::cos(r) + ty + jitter * rng.normal();
    if (x < 0 || y < 0 || x > t.width - 1 || y > t.height - 1) continue;
    Minutia q = m;
    q.x = static_cast<std::uint16_t>(std::lround(x));
    q.y = static_cast<std::uint16_t>(std::lround(y));
    q.angle = wrap(m.angle + r + 0.1f * jitter * rng.normal());
    o.minutiae.push_back(q);
  }
  for (int s = 0; s < spurious; ++s) {
    Minutia q;
    q.x = static_cast<std::uint16_t>(t.width * (0.15f + 0.7f * rng.uniform()));
    q.y = static_cast<std::uint16_t>(t.height * (0.15f + 0.7f * rng.uniform()));
    q.angle = wrap(kTwoPi * rng.uniform());
    o.minutiae.push_back(q);
  }
  return o;
}

}  // namespace tunggal::matcher::detail
