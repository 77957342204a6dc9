// The MCC matcher's contract: invariance to rigid motion, separation of mates from impostors,
// symmetry, bounded scores, and a stated reason for every malformed template.
#include "matcher/finger_matcher.h"
#include "matcher/detail/local_similarity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace tunggal::matcher {
namespace {

constexpr float kTwoPi = 2.0f * std::numbers::pi_v<float>;

// A plausible synthetic finger: ~n minutiae at least 9 px apart inside an elliptic print region of
// a w x h frame, directions following a smooth field (as ridge flow does) plus noise.
FingerTemplate synthetic_finger(std::uint32_t seed, int n = 40, int w = 500, int h = 500) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> ux(0.3f * w, 0.7f * w), uy(0.25f * h, 0.75f * h), u01(0, 1);
  const float phase = u01(rng) * kTwoPi, freq = 0.01f + 0.01f * u01(rng);
  FingerTemplate t;
  t.width = static_cast<std::uint16_t>(w);
  t.height = static_cast<std::uint16_t>(h);
  for (int tries = 0; static_cast<int>(t.minutiae.size()) < n && tries < 10000; ++tries) {
    const float x = ux(rng), y = uy(rng);
    bool close = false;
    for (const auto& m : t.minutiae) close |= std::hypot(m.x - x, m.y - y) < 9.0f;
    if (close) continue;
    float a = std::fmod(phase + freq * x + 0.7f * std::sin(freq * y) + (u01(rng) < 0.5f ? 0.0f : 3.14159f) +
                            0.2f * (u01(rng) - 0.5f) + 4 * kTwoPi,
                        kTwoPi);
    Minutia m;
    m.x = static_cast<std::uint16_t>(x);
    m.y = static_cast<std::uint16_t>(y);
    m.angle = a;
    m.type = u01(rng) < 0.5f ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation;
    t.minutiae.push_back(m);
  }
  return t;
}

// Rigid motion of the image: rotate by `deg` (counter-clockwise as seen on screen) about the
// frame centre, then translate. ISO angles are counter-clockwise too, so they grow by the same
// amount. Minutiae pushed out of the frame are dropped, like a partial capture.
FingerTemplate moved(const FingerTemplate& t, float deg, float tx, float ty, float jitter = 0.0f,
                     std::uint32_t seed = 1, float drop = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::uniform_real_distribution<float> u01(0, 1);
  const float r = deg * std::numbers::pi_v<float> / 180.0f;
  const float cx = t.width / 2.0f, cy = t.height / 2.0f;
  FingerTemplate o = t;
  o.minutiae.clear();
  for (const auto& m : t.minutiae) {
    if (u01(rng) < drop) continue;
    const float dx = m.x - cx, dy = m.y - cy;
    // y points down, so a screen-counter-clockwise rotation is (x, y) -> (x cos + y sin, -x sin + y cos).
    const float x = cx + dx * std::cos(r) + dy * std::sin(r) + tx + jitter * g(rng);
    const float y = cy - dx * std::sin(r) + dy * std::cos(r) + ty + jitter * g(rng);
    if (x < 0 || y < 0 || x >= t.width || y >= t.height) continue;
    Minutia q = m;
    q.x = static_cast<std::uint16_t>(std::lround(std::min<float>(x, t.width - 1)));
    q.y = static_cast<std::uint16_t>(std::lround(std::min<float>(y, t.height - 1)));
    q.angle = std::fmod(m.angle + r + 0.1f * jitter * g(rng) + 4 * kTwoPi, kTwoPi);
    if (q.angle >= kTwoPi) q.angle = 0;
    o.minutiae.push_back(q);
  }
  return o;
}

PreparedTemplate prep(const FingerMatcher& m, const FingerTemplate& t) {
  auto p = m.prepare(t);
  EXPECT_TRUE(p.has_value()) << p.status().to_string();
  return std::move(p).value();
}

TEST(FingerMatcher, SelfMatchScoresHighestAndNearOne) {
  FingerMatcher m;
  const auto a = prep(m, synthetic_finger(1));
  const float self = m.score(a, a);
  EXPECT_GT(self, 0.9f);
  for (std::uint32_t s = 2; s < 30; ++s) EXPECT_LT(m.score(a, prep(m, synthetic_finger(s))), self);
}

TEST(FingerMatcher, RotatedAndTranslatedCopyStillMatches) {
  FingerMatcher m;
  const auto base = synthetic_finger(7);
  const auto a = prep(m, base);
  float impostor_max = 0;
  for (std::uint32_t s = 100; s < 120; ++s) impostor_max = std::max(impostor_max, m.score(a, prep(m, synthetic_finger(s))));
  for (float deg : {0.0f, 17.0f, 45.0f, 90.0f, 135.0f, 180.0f, 233.0f, 270.0f, 359.0f}) {
    const auto b = prep(m, moved(base, deg, 12.0f, -9.0f));
    const float s = m.score(a, b);
    EXPECT_GT(s, 0.5f) << deg << " degrees";
    EXPECT_GT(s, impostor_max + 0.2f) << deg << " degrees";
  }
}

TEST(FingerMatcher, NoisyPartialCopyMatchesAndReportsTruePairs) {
  FingerMatcher m;
  const auto base = synthetic_finger(11);
  const auto a = prep(m, base);
  const auto moved_t = moved(base, 30.0f, 5.0f, 5.0f, /*jitter=*/2.0f, 3, /*drop=*/0.2f);
  const auto b = prep(m, moved_t);
  const MatchResult r = m.match(a, b);
  // On FVC2002 impostors stay below 0.05 (docs/accuracy.md); a noisy partial mate is well above.
  EXPECT_GT(r.score, 0.08f);
  ASSERT_FALSE(r.pairs.empty());
  // Every reported pair must be the same physical minutia: undo the motion (translation, then
  // rotation) and it lands next to its partner, up to the jitter.
  int right = 0;
  for (const auto& p : r.pairs) {
    const auto& ma = base.minutiae[p.a];
    Minutia mb = moved_t.minutiae[p.b];
    mb.x = static_cast<std::uint16_t>(mb.x - 5);
    mb.y = static_cast<std::uint16_t>(mb.y - 5);
    FingerTemplate one = base;
    one.minutiae = {mb};
    const auto back = moved(one, -30.0f, 0, 0);
    ASSERT_EQ(back.minutiae.size(), 1u);
    right += std::hypot(float(ma.x) - back.minutiae[0].x, float(ma.y) - back.minutiae[0].y) < 8.0f;
    EXPECT_GE(p.similarity, 0.0f);
    EXPECT_LE(p.similarity, 1.0f);
  }
  EXPECT_GE(right * 10, static_cast<int>(r.pairs.size()) * 8);
}

TEST(FingerMatcher, ImpostorsScoreLow) {
  FingerMatcher m;
  std::vector<PreparedTemplate> t;
  for (std::uint32_t s = 200; s < 230; ++s) t.push_back(prep(m, synthetic_finger(s)));
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t j = i + 1; j < t.size(); ++j) EXPECT_LT(m.score(t[i], t[j]), 0.06f) << i << " vs " << j;
}

TEST(FingerMatcher, SymmetricWithinNoise) {
  FingerMatcher m;
  for (std::uint32_t s = 0; s < 10; ++s) {
    const auto base = synthetic_finger(300 + s);
    const auto a = prep(m, base);
    const auto b = prep(m, moved(base, 40.0f * s, 3, 3, 1.5f, s, 0.15f));
    const auto c = prep(m, synthetic_finger(400 + s));
    EXPECT_NEAR(m.score(a, b), m.score(b, a), 0.02f);
    EXPECT_NEAR(m.score(a, c), m.score(c, a), 0.02f);
  }
}

TEST(FingerMatcher, ScoreManyEqualsScoreOneByOne) {
  FingerMatcher m;
  const auto probe = prep(m, synthetic_finger(5));
  std::vector<PreparedTemplate> g;
  for (std::uint32_t s = 0; s < 50; ++s) g.push_back(prep(m, s == 17 ? moved(synthetic_finger(5), 60, 0, 0) : synthetic_finger(500 + s)));
  std::vector<const PreparedTemplate*> ptr;
  for (auto& x : g) ptr.push_back(&x);
  ptr.push_back(nullptr);
  std::vector<float> out(ptr.size(), -1.0f);
  m.score_many(probe, ptr, out);
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_FLOAT_EQ(out[i], m.score(probe, g[i]));
  EXPECT_EQ(out.back(), 0.0f);
  EXPECT_EQ(std::max_element(out.begin(), out.end()) - out.begin(), 17);
}

// The AVX-512 kernels (Γ rows, LSS-R selection and relaxation) must give the same scores as the
// portable ones that run on CPUs without AVX-512: same pairs, same sums in the same order.
TEST(FingerMatcher, PortableKernelsGiveTheSameScores) {
  FingerMatcher m;
  std::vector<PreparedTemplate> t;
  for (std::uint32_t s = 0; s < 12; ++s) {
    t.push_back(prep(m, synthetic_finger(700 + s)));
    t.push_back(prep(m, moved(synthetic_finger(700 + s), 25.0f * s, 4, -3, 1.5f, s, 0.2f)));
  }
  std::vector<float> fast;
  for (const auto& a : t)
    for (const auto& b : t) fast.push_back(m.score(a, b));
  detail::set_portable_kernels(true);
  std::size_t k = 0;
  for (const auto& a : t)
    for (const auto& b : t) {
      EXPECT_EQ(m.score(a, b), fast[k]) << "pair " << k;
      ++k;
    }
  detail::set_portable_kernels(false);
}

TEST(FingerMatcher, RejectsTooFewMinutiae) {
  FingerMatcher m;
  auto t = synthetic_finger(1, 5);
  auto p = m.prepare(t);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(p.error().message().find("distinct minutiae"), std::string::npos) << p.error().message();
}

TEST(FingerMatcher, RejectsCoordinatesOutsideFrame) {
  FingerMatcher m;
  auto t = synthetic_finger(1);
  t.minutiae[3].x = t.width;
  auto p = m.prepare(t);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message().find("minutia 3"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("outside"), std::string::npos);
}

TEST(FingerMatcher, RejectsAnglesOutOfRangeOrNotFinite) {
  FingerMatcher m;
  for (float bad : {kTwoPi, 7.0f, -0.1f, std::nanf(""), INFINITY}) {
    auto t = synthetic_finger(1);
    t.minutiae[2].angle = bad;
    auto p = m.prepare(t);
    ASSERT_FALSE(p.has_value()) << bad;
    EXPECT_NE(p.error().message().find("minutia 2 has angle"), std::string::npos) << p.error().message();
  }
}

TEST(FingerMatcher, RejectsZeroFrameOrResolution) {
  FingerMatcher m;
  auto t = synthetic_finger(1);
  t.width = 0;
  EXPECT_FALSE(m.prepare(t).has_value());
  t = synthetic_finger(1);
  t.resolution_y = 0;
  auto p = m.prepare(t);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message().find("resolution"), std::string::npos);
}

TEST(FingerMatcher, RejectsTemplateWithoutAnyValidCylinder) {
  // Minutiae spread so far apart that none has two neighbours within R = 70 px.
  FingerMatcher m;
  FingerTemplate t;
  t.width = 2000;
  t.height = 2000;
  for (int i = 0; i < 10; ++i) t.minutiae.push_back({static_cast<std::uint16_t>(100 + 180 * i), 1000, 1.0f});
  auto p = m.prepare(t);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message().find("valid cylinder"), std::string::npos) << p.error().message();
}

TEST(FingerMatcher, CleansDuplicatedMinutiaeWithANote) {
  FingerMatcher m;
  const auto t = synthetic_finger(9);
  auto d = t;
  d.minutiae.push_back(t.minutiae[4]);
  d.minutiae.push_back(t.minutiae[8]);
  const auto a = prep(m, t);
  const auto b = prep(m, d);
  ASSERT_EQ(b.cleaning_notes().size(), 1u);
  EXPECT_NE(b.cleaning_notes()[0].find("dropped 2 duplicated"), std::string::npos) << b.cleaning_notes()[0];
  EXPECT_EQ(b.minutiae().size(), a.minutiae().size());
  EXPECT_FLOAT_EQ(m.score(a, b), m.score(a, a));
  // A template made of one minutia repeated is not a finger.
  FingerTemplate same;
  same.width = same.height = 400;
  same.minutiae.assign(20, Minutia{100, 100, 1.0f});
  EXPECT_FALSE(m.prepare(same).has_value());
}

TEST(FingerMatcher, ScoresAreAlwaysFiniteAndInRange) {
  // Degenerate geometry: collinear, clustered, frame corners, ISO maximum of 255 minutiae.
  FingerMatcher m;
  std::mt19937 rng(42);
  std::vector<PreparedTemplate> ts;
  for (int k = 0; k < 60; ++k) {
    FingerTemplate t;
    t.width = 1 + rng() % 800;
    t.height = 1 + rng() % 800;
    const int n = k == 0 ? 255 : 1 + static_cast<int>(rng() % 80);
    for (int i = 0; i < n; ++i) {
      Minutia q;
      q.x = static_cast<std::uint16_t>(k % 3 == 0 ? (i * 7) % t.width : rng() % t.width);
      q.y = static_cast<std::uint16_t>(k % 3 == 1 ? t.height / 2 : rng() % t.height);
      q.angle = std::uniform_real_distribution<float>(0.0f, 6.2831f)(rng);
      t.minutiae.push_back(q);
    }
    if (auto p = m.prepare(t)) ts.push_back(std::move(*p));
  }
  ASSERT_GT(ts.size(), 10u);
  for (const auto& a : ts)
    for (const auto& b : ts) {
      const MatchResult r = m.match(a, b);
      ASSERT_TRUE(std::isfinite(r.score));
      ASSERT_GE(r.score, 0.0f);
      ASSERT_LE(r.score, 1.0f);
    }
}

TEST(FingerMatcher, RescalesOtherResolutionsTo500ppi) {
  // The same finger captured at 1000 ppi (394 px/cm): coordinates doubled, same physical geometry.
  FingerMatcher m;
  const auto t = synthetic_finger(21, 40, 400, 400);
  auto hi = t;
  hi.width = 800;
  hi.height = 800;
  hi.resolution_x = hi.resolution_y = 394;
  for (auto& q : hi.minutiae) {
    q.x = static_cast<std::uint16_t>(q.x * 2);
    q.y = static_cast<std::uint16_t>(q.y * 2);
  }
  EXPECT_GT(m.score(prep(m, t), prep(m, hi)), 0.9f);
}

}  // namespace
}  // namespace tunggal::matcher
