// Error rates on hand-made score sets whose answers are worked out in the comments.
#include "datasets/error_rates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tunggal::datasets {
namespace {

TEST(ErrorRates, PerfectSeparationHasNoErrors) {
  const std::vector<float> g{0.8f, 0.9f, 0.95f}, i{0.1f, 0.2f, 0.3f, 0.4f};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_EQ(r.genuine, 3u);
  EXPECT_EQ(r.impostor, 4u);
  EXPECT_DOUBLE_EQ(r.eer, 0.0);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_1e2, 0.0);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_1e3, 0.0);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_0, 0.0);
}

TEST(ErrorRates, CompleteInversionIsAllErrors) {
  const std::vector<float> g{0.1f, 0.2f}, i{0.8f, 0.9f};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_DOUBLE_EQ(r.eer, 1.0);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_0, 1.0);
}

// G = {2,3,4}, I = {1,2.5,3.5,5}. Per threshold t: (FNMR = G < t, FMR = I >= t)
//   t=2: (0, 3/4)  t=2.5: (1/3, 3/4)  t=3: (1/3, 1/2)  t=3.5: (2/3, 1/2)  t=4: (2/3, 1/4)
// t1 = 3 (last FNMR <= FMR), t2 = 3.5 (first FNMR >= FMR); FNMR+FMR is 5/6 at t1 < 7/6 at t2, so
// the FVC interval is [FNMR(t1), FMR(t1)] = [1/3, 1/2] and EER = 5/12.
TEST(ErrorRates, EerIsTheMidpointOfTheFvcInterval) {
  const std::vector<float> g{2, 3, 4}, i{1, 2.5f, 3.5f, 5};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_NEAR(r.eer_low, 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.eer_high, 0.5, 1e-12);
  EXPECT_NEAR(r.eer, 5.0 / 12, 1e-12);
  EXPECT_FLOAT_EQ(r.eer_threshold, 3.0f);
}

// Mirror image of the case above: now t2's side is the smaller one.
// G = {2,3,4,5}, I = {1,3.5,4.5}: t=3.5: (2/4, 2/3)  t=4: (2/4, 1/3)  t=4.5: (3/4, 1/3)
// t1 = 3.5 (sum 7/6), t2 = 4 (sum 5/6) -> interval [FMR(t2), FNMR(t2)] = [1/3, 1/2].
TEST(ErrorRates, EerTakesTheCloserSideOfTheCrossing) {
  const std::vector<float> g{2, 3, 4, 5}, i{1, 3.5f, 4.5f};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_NEAR(r.eer_low, 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.eer_high, 0.5, 1e-12);
  EXPECT_FLOAT_EQ(r.eer_threshold, 4.0f);
}

TEST(ErrorRates, EqualCrossingGivesThatRate) {
  // t=3: FNMR = 1/4 (the 2), FMR = 1/4 (the 3): both rates meet at 25%.
  const std::vector<float> g{2, 4, 5, 6}, i{0, 1, 1.5f, 3};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_NEAR(r.eer, 0.25, 1e-12);
}

// I = 0..999 (1000 impostors), G = 901, 903, ..., 1099 (100 genuine).
//   FMR <= 1%   first at t = 990 (10 impostors >= t): FNMR = #{901..989} = 45/100;
//   FMR <= 0.1% first at t = 999: FNMR = #{901..997} = 49/100;
//   FMR = 0     first at t = 1001 (next score above 999): FNMR = #{901..999} = 50/100.
TEST(ErrorRates, FnmrAtFixedFmrOperatingPoints) {
  std::vector<float> g, i;
  for (int k = 0; k < 1000; ++k) i.push_back(float(k));
  for (int k = 0; k < 100; ++k) g.push_back(float(901 + 2 * k));
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_1e2, 0.45);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_1e3, 0.49);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_0, 0.50);
  EXPECT_DOUBLE_EQ(fnmr_at_fmr(g, i, 1e-2), 0.45);
  EXPECT_DOUBLE_EQ(fnmr_at_fmr(g, i, 0.1), 0.0);  // t = 900: FMR 10%, no genuine below
}

TEST(ErrorRates, ScoreEqualToThresholdIsAMatch) {
  // The impostor tied with every genuine score can only be rejected by rejecting them all.
  const std::vector<float> g{0.5f, 0.5f}, i{0.5f, 0.1f};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_0, 1.0);
  EXPECT_DOUBLE_EQ(fnmr_at_fmr(g, i, 0.5), 0.0);
}

TEST(ErrorRates, DetCurveRunsFromAcceptAllToRejectAll) {
  const std::vector<float> g{0.3f, 0.6f, 0.9f}, i{0.1f, 0.4f, 0.7f};
  const ErrorRates r = compute_error_rates(g, i);
  ASSERT_EQ(r.det.size(), 7u);  // 6 distinct scores + reject-all
  EXPECT_DOUBLE_EQ(r.det.front().fmr, 1.0);
  EXPECT_DOUBLE_EQ(r.det.front().fnmr, 0.0);
  EXPECT_DOUBLE_EQ(r.det.back().fmr, 0.0);
  EXPECT_DOUBLE_EQ(r.det.back().fnmr, 1.0);
  for (std::size_t k = 1; k < r.det.size(); ++k) {
    EXPECT_LE(r.det[k].fmr, r.det[k - 1].fmr);
    EXPECT_GE(r.det[k].fnmr, r.det[k - 1].fnmr);
  }
}

TEST(ErrorRates, NanScoresCountAsTheLowestScore) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> g{nan, 0.9f}, i{0.1f, nan};
  const ErrorRates r = compute_error_rates(g, i);
  EXPECT_DOUBLE_EQ(r.fnmr_at_fmr_0, 0.5);  // the NaN genuine is lost, the NaN impostor harmless
  EXPECT_TRUE(std::isfinite(r.eer));
}

TEST(ErrorRates, EmptyInputGivesZeroesNotACrash) {
  const std::vector<float> g{0.5f}, none;
  const ErrorRates r = compute_error_rates(g, none);
  EXPECT_EQ(r.impostor, 0u);
  EXPECT_TRUE(r.det.empty());
  EXPECT_DOUBLE_EQ(fnmr_at_fmr(none, g, 0.01), 0.0);
}

}  // namespace
}  // namespace tunggal::datasets
