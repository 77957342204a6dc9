// The repeatability measure behind `tunggal eval repeatability`: impressions aligned on the
// reference's matched minutiae, the candidate's minutiae counted inside the other impression's
// overlap and repeated when a mate sits there.
#include "datasets/minutiae_repeatability.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

namespace tunggal::datasets {
namespace {

constexpr double kPi = std::numbers::pi;

// A finger of 40 minutiae spread over 300x300 px inside a 400x400 frame.
FingerTemplate finger(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pos(50, 350);
  std::uniform_real_distribution<float> ang(0.0f, float(2 * kPi));
  FingerTemplate t;
  t.width = t.height = 400;
  for (int i = 0; i < 40; ++i) {
    Minutia m;
    m.x = std::uint16_t(pos(rng)), m.y = std::uint16_t(pos(rng)), m.angle = ang(rng);
    m.type = MinutiaType::kRidgeEnding;
    m.quality = std::uint8_t(10 + 2 * i);
    t.minutiae.push_back(m);
  }
  return t;
}

// The same finger turned by `theta` (pixel axes) about (200, 200) and shifted by (dx, dy).
FingerTemplate moved(const FingerTemplate& t, double theta, double dx, double dy) {
  FingerTemplate o = t;
  const double c = std::cos(theta), s = std::sin(theta);
  for (auto& m : o.minutiae) {
    const double u = m.x - 200.0, v = m.y - 200.0;
    m.x = std::uint16_t(std::lround(200 + dx + c * u - s * v));
    m.y = std::uint16_t(std::lround(200 + dy + s * u + c * v));
    double a = std::fmod(m.angle - theta, 2 * kPi);  // ISO angles turn the other way (y up)
    m.angle = float(a < 0 ? a + 2 * kPi : a);
  }
  return o;
}

TEST(MinutiaeRepeatability, FitRigidRecoversTheMotion) {
  const FingerTemplate a = finger(1);
  const FingerTemplate b = moved(a, 0.3, 12, -7);
  const RigidMotion r = fit_rigid(a.minutiae, b.minutiae);
  EXPECT_NEAR(r.theta, 0.3, 0.01);
  double x, y;
  r.apply(200, 200, x, y);
  EXPECT_NEAR(x, 212, 1.0);
  EXPECT_NEAR(y, 193, 1.0);
}

TEST(MinutiaeRepeatability, CountsMatesInsideTheOverlapOnly) {
  const FingerTemplate a = finger(2);
  const FingerTemplate b = moved(a, 0.2, 5, 5);
  const RigidMotion motion = fit_rigid(a.minutiae, b.minutiae);
  RepeatabilityStats all;
  count_repeated(a, b, motion, {}, all);
  ASSERT_GT(all.counted, 20u);                 // the hull's own corners are at its edge, not counted
  EXPECT_LT(all.counted, a.minutiae.size());
  EXPECT_EQ(all.repeated, all.counted);
  // Directions turn with the motion (ISO angles the other way round): exact to rounding.
  RepeatabilityStats tight;
  count_repeated(a, b, motion, {.max_distance = 2, .max_angle = 0.05}, tight);
  EXPECT_EQ(tight.repeated, tight.counted);
  // Every second minutia lost in B (the hull's corners kept, so the overlap stays the same).
  FingerTemplate half = b;
  for (std::size_t i = 0; i < half.minutiae.size(); ++i)
    if (i % 2 == 1) half.minutiae[i].x = half.minutiae[i].y = 0, half.minutiae[i].angle = float(kPi);
  RepeatabilityStats lost;
  count_repeated(a, half, motion, {.hull_margin = -1000}, lost);  // (0,0) widens the hull: count all
  EXPECT_EQ(lost.counted, a.minutiae.size());
  EXPECT_NEAR(lost.rate(), 0.5, 0.05);
  // The same minutiae turned by 90 degrees are no mates.
  FingerTemplate turned = b;
  for (auto& m : turned.minutiae) m.angle = float(std::fmod(m.angle + kPi / 2, 2 * kPi));
  RepeatabilityStats wrong;
  count_repeated(a, turned, motion, {}, wrong);
  EXPECT_EQ(wrong.repeated, 0u);
  // By quality: each bucket counted where the minutiae's qualities fall.
  std::size_t sum = 0;
  for (auto n : all.counted_by_quality) sum += n;
  EXPECT_EQ(sum, all.counted);
}

// The unrepeated minutiae are told apart: displaced, turned, lost, or never confirmed by the
// reference's record of the same image.
TEST(MinutiaeRepeatability, ClassifiesWhyAMinutiaDidNotComeBack) {
  const FingerTemplate a = finger(3);
  const RigidMotion none;  // the identity: b is a's frame
  FingerTemplate b = a;
  // Minutiae 0-3 shifted by 13 px (beyond the 10 px mate distance, within 16), 4-7 turned by 90°,
  // 8-15 gone (moved to the frame's corner, which only widens the hull: everything is counted).
  for (std::size_t i = 0; i < 4; ++i) b.minutiae[i].x = std::uint16_t(b.minutiae[i].x + 13);
  for (std::size_t i = 4; i < 8; ++i) b.minutiae[i].angle = float(std::fmod(b.minutiae[i].angle + kPi / 2, 2 * kPi));
  for (std::size_t i = 8; i < 16; ++i) b.minutiae[i].x = b.minutiae[i].y = 0;
  // The reference saw minutiae 0-11 of a's image, not 12-39.
  FingerTemplate support = a;
  support.minutiae.resize(12);
  RepeatabilityStats s;
  count_repeated(a, b, none, {.hull_margin = -1000}, s, &support);
  ASSERT_EQ(s.counted, a.minutiae.size());
  EXPECT_EQ(s.repeated, 24u);
  EXPECT_EQ(s.wrong_angle, 4u);
  EXPECT_EQ(s.repeated + s.near_miss + s.wrong_angle + s.missing + s.unsupported, s.counted);
  // The four shifted ones are near misses; so is a lost one whose neighbour in b happens to lie
  // within 16 px with a similar angle (random fingers have a few such neighbours).
  EXPECT_GE(s.near_miss, 4u);
  EXPECT_EQ(s.near_miss + s.missing + s.unsupported, 12u);
  // 8-11 lost and supported, 12-15 lost and unsupported, less those near misses.
  EXPECT_GE(s.missing, 2u);
  EXPECT_LE(s.missing, 4u);
  EXPECT_GE(s.unsupported, 2u);
  EXPECT_LE(s.unsupported, 4u);
  // Without a reference record nothing is unsupported.
  RepeatabilityStats plain;
  count_repeated(a, b, none, {.hull_margin = -1000}, plain);
  EXPECT_EQ(plain.unsupported, 0u);
  EXPECT_EQ(plain.missing, s.missing + s.unsupported);
}

TEST(MinutiaeRepeatability, AlignsGenuinePairsWithTheReferenceMatcher) {
  FvcSet reference;
  reference.name = "synthetic";
  for (int f = 0; f < 2; ++f)
    for (int k = 0; k < 3; ++k) {
      FvcImpression im;
      im.finger = 101 + f, im.impression = k + 1;
      im.finger_template = moved(finger(10 + unsigned(f)), 0.15 * k, 6.0 * k, -4.0 * k);
      reference.impressions.push_back(im);
    }
  const matcher::FingerMatcher m;
  auto same = minutiae_repeatability(reference, reference, m);
  ASSERT_TRUE(same) << same.error().message();
  EXPECT_EQ(same->candidate.aligned_pairs, 12u);  // 3 pairs a finger, both directions
  EXPECT_GT(same->candidate.counted, 0u);
  EXPECT_DOUBLE_EQ(same->candidate.rate(), 1.0);
  EXPECT_DOUBLE_EQ(same->reference.rate(), 1.0);

  // A candidate that finds a third of the minutiae somewhere else in every impression.
  FvcSet noisy = reference;
  std::mt19937 rng(5);
  for (auto& im : noisy.impressions)
    for (std::size_t i = 0; i < im.finger_template.minutiae.size(); i += 3) {
      im.finger_template.minutiae[i].x = std::uint16_t(60 + rng() % 280);
      im.finger_template.minutiae[i].y = std::uint16_t(60 + rng() % 280);
    }
  auto r = minutiae_repeatability(reference, noisy, m);
  ASSERT_TRUE(r);
  EXPECT_LT(r->candidate.rate(), 0.8);
  EXPECT_GT(r->candidate.rate(), 0.3);
  EXPECT_DOUBLE_EQ(r->reference.rate(), 1.0);

  FvcSet short_set = reference;
  short_set.impressions.pop_back();
  EXPECT_FALSE(minutiae_repeatability(reference, short_set, m));
}

}  // namespace
}  // namespace tunggal::datasets
