// The pairing report behind `tunggal eval pairing`: one-to-one pairs within the distance and angle,
// flips and offsets counted, unpaired minutiae placed inside or at the edge of the other's hull.
#include "datasets/minutiae_pairing.h"

#include <gtest/gtest.h>

#include <numbers>

namespace tunggal::datasets {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;

Minutia at(int x, int y, float angle, MinutiaType t = MinutiaType::kRidgeEnding) {
  Minutia m;
  m.x = std::uint16_t(x), m.y = std::uint16_t(y), m.angle = angle, m.type = t;
  return m;
}

// A square of reference minutiae 100 px wide with one in the middle.
FingerTemplate reference() {
  FingerTemplate t;
  for (auto [x, y] : {std::pair{100, 100}, {200, 100}, {100, 200}, {200, 200}, {150, 150}})
    t.minutiae.push_back(at(x, y, 1.0f));
  return t;
}

TEST(MinutiaePairing, ShiftedCopyPairsEveryMinutiaAndShowsTheOffset) {
  FingerTemplate ours = reference();
  for (auto& m : ours.minutiae) m.x += 3, m.y -= 2, m.angle += 0.1f;
  const PairingStats s = pair_minutiae(reference(), ours);
  EXPECT_EQ(s.paired, 5u);
  EXPECT_DOUBLE_EQ(s.recall(), 1.0);
  EXPECT_DOUBLE_EQ(s.precision(), 1.0);
  EXPECT_NEAR(s.sum_dx / s.paired, 3.0, 1e-9);
  EXPECT_NEAR(s.sum_dy / s.paired, -2.0, 1e-9);
  EXPECT_NEAR(s.sum_angle / s.paired, 0.1, 1e-6);
  EXPECT_EQ(s.same_type, 5u);
}

TEST(MinutiaePairing, FlippedFarAndExtraMinutiaeAreTold) {
  FingerTemplate ours;
  ours.minutiae.push_back(at(101, 100, 1.0f + kPi));                     // flipped: near, not paired
  ours.minutiae.push_back(at(200, 101, 1.0f, MinutiaType::kBifurcation));  // paired, other type
  ours.minutiae.push_back(at(100, 215, 1.0f));                           // 15 px away: not near
  ours.minutiae.push_back(at(152, 150, 1.0f));                           // paired
  ours.minutiae.push_back(at(151, 149, 1.0f));                           // a second one: extra, inside
  ours.minutiae.push_back(at(20, 20, 1.0f));                             // extra, outside the hull
  const PairingStats s = pair_minutiae(reference(), ours);
  EXPECT_EQ(s.paired, 2u);
  EXPECT_EQ(s.near, 3u);
  EXPECT_EQ(s.flipped, 1u);
  EXPECT_EQ(s.same_type, 1u);
  EXPECT_EQ(s.ours_unpaired_inside, 1u);   // the second one in the middle
  EXPECT_EQ(s.ours_unpaired_edge, 3u);     // flipped, 15 px away, outside
  EXPECT_EQ(s.reference_unpaired_edge + s.reference_unpaired_inside, 3u);
  PairingStats total;
  total.add(s);
  total.add(s);
  EXPECT_EQ(total.images, 2u);
  EXPECT_EQ(total.paired, 4u);
  EXPECT_DOUBLE_EQ(total.recall(), 0.4);
}

TEST(MinutiaePairing, AngleAgreementWinsOverACloserMinutiaPointingElsewhere) {
  FingerTemplate ref;
  ref.minutiae.push_back(at(100, 100, 0.0f));
  FingerTemplate ours;
  ours.minutiae.push_back(at(101, 100, 2.0f));  // closer, wrong direction
  ours.minutiae.push_back(at(105, 100, 0.2f));  // further, right direction
  const PairingStats s = pair_minutiae(ref, ours);
  EXPECT_EQ(s.paired, 1u);
  EXPECT_NEAR(s.sum_dx, 5.0, 1e-9);
}

}  // namespace
}  // namespace tunggal::datasets
