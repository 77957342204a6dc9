// The bootstrap by finger behind `tunggal eval fvc --bootstrap` (datasets/fvc_bootstrap.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "datasets/fvc_bootstrap.h"

namespace tunggal::datasets {
namespace {

// 10 fingers x 8 impressions, like an FVC2002 set; no templates needed, only who is who.
FvcSet ten_fingers() {
  FvcSet s;
  s.name = "synthetic";
  for (int f = 101; f <= 110; ++f)
    for (int k = 1; k <= 8; ++k) {
      FvcImpression im;
      im.finger = f;
      im.impression = k;
      s.impressions.push_back(im);
    }
  return s;
}

// Genuine pairs score 0.9 except every pair of `failing_finger` (0.0); impostors 0.1.
FvcSetResult one_finger_fails(const FvcSet& s, int failing_finger) {
  const FvcPairs p = fvc_pairs(s, ImpostorPairs::kAllCrossFinger);
  FvcSetResult r;
  for (const auto& g : p.genuine)
    r.genuine_scores.push_back(s.impressions[std::size_t(g.a)].finger == failing_finger ? 0.0f : 0.9f);
  r.impostor_scores.assign(p.impostor.size(), 0.1f);
  return r;
}

TEST(FvcBootstrap, ResamplesWholeFingersNotPairs) {
  // One finger of ten fails all its 28 genuine pairs: a draw has EER 0 exactly when it leaves that
  // finger out, which happens with probability 0.9^10 = 0.349. Resampling the 280 genuine pairs one
  // by one would almost never leave all 28 failing pairs out (0.9^280), i.e. an interval far too
  // narrow: that is what this guards against.
  const FvcSet s = ten_fingers();
  const FvcSetResult r = one_finger_fails(s, 104);
  const FvcSetResult* rs[] = {&r};
  auto b = bootstrap_eer_by_finger(s, ImpostorPairs::kAllCrossFinger, rs, {.draws = 4000});
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_EQ(b->eers.size(), 1u);
  ASSERT_EQ(b->eers[0].size(), 4000u);
  const double zero = double(std::count(b->eers[0].begin(), b->eers[0].end(), 0.0)) / 4000.0;
  EXPECT_NEAR(zero, 0.349, 0.03);
  // A draw with the failing finger k times of 10 has FNMR k/10 and FMR 0 at the crossing: EER k/20.
  // P(k >= 3) = 0.070 and P(k >= 4) = 0.013, so the 97.5% point is a draw with k = 3.
  EXPECT_DOUBLE_EQ(quantile(b->eers[0], 0.975), 0.15);
}

TEST(FvcBootstrap, ResultsOnTheSameSetShareTheirDraws) {
  const FvcSet s = ten_fingers();
  const FvcSetResult a = one_finger_fails(s, 104), same = one_finger_fails(s, 104), other = one_finger_fails(s, 107);
  const FvcSetResult* rs[] = {&a, &same, &other};
  auto b = bootstrap_eer_by_finger(s, ImpostorPairs::kAllCrossFinger, rs, {.draws = 500});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->eers[0], b->eers[1]);  // the same scores on the same draws: no difference at all
  EXPECT_NE(b->eers[0], b->eers[2]);  // another failing finger: drawn independently of 104
  // Fixed seed: the same draws again.
  auto again = bootstrap_eer_by_finger(s, ImpostorPairs::kAllCrossFinger, rs, {.draws = 500});
  EXPECT_EQ(b->eers, again->eers);
}

TEST(FvcBootstrap, RefusesScoresOfAnotherProtocol) {
  const FvcSet s = ten_fingers();
  FvcSetResult r = one_finger_fails(s, 104);
  r.impostor_scores.resize(45);  // first-impression impostors, resampled as all cross-finger pairs
  const FvcSetResult* rs[] = {&r};
  auto b = bootstrap_eer_by_finger(s, ImpostorPairs::kAllCrossFinger, rs);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(b.error().message().find("2880 impostor"), std::string::npos) << b.error().message();
  auto zero = bootstrap_eer_by_finger(s, ImpostorPairs::kFirstImpressions, rs, {.draws = 0});
  EXPECT_FALSE(zero);
}

TEST(FvcBootstrap, FirstImpressionImpostors) {
  const FvcSet s = ten_fingers();
  const FvcPairs p = fvc_pairs(s, ImpostorPairs::kFirstImpressions);
  FvcSetResult r;
  r.genuine_scores.assign(p.genuine.size(), 0.9f);
  r.impostor_scores.assign(p.impostor.size(), 0.1f);
  const FvcSetResult* rs[] = {&r};
  auto b = bootstrap_eer_by_finger(s, ImpostorPairs::kFirstImpressions, rs, {.draws = 200});
  ASSERT_TRUE(b) << b.error().message();
  for (double e : b->eers[0]) EXPECT_EQ(e, 0.0);
}

TEST(FvcBootstrap, QuantileByNearestRank) {
  const std::vector<double> v{5, 1, 4, 2, 3};
  EXPECT_EQ(quantile(v, 0.0), 1.0);
  EXPECT_EQ(quantile(v, 0.5), 3.0);
  EXPECT_EQ(quantile(v, 1.0), 5.0);
  EXPECT_EQ(quantile(std::vector<double>{}, 0.5), 0.0);
}

}  // namespace
}  // namespace tunggal::datasets
