#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "matcher/fusion_model.h"
#include "matcher/score_calibration.h"

using namespace tunggal;

namespace {

struct Samples {
  std::vector<float> genuine, impostor;
};

// Impostor scores ~ clipped N(0.05, 0.03), genuine ~ N(0.45, 0.15): a matcher-like pair.
Samples draw(std::uint64_t seed, int n_gen, int n_imp) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.45f, 0.15f), i(0.05f, 0.03f);
  Samples s;
  for (int k = 0; k < n_gen; ++k) s.genuine.push_back(std::clamp(g(rng), 0.0f, 1.0f));
  for (int k = 0; k < n_imp; ++k) s.impostor.push_back(std::clamp(i(rng), 0.0f, 1.0f));
  return s;
}

}  // namespace

TEST(ScoreCalibration, LlrIsMonotoneBoundedAndSeparates) {
  auto s = draw(1, 5000, 50000);
  auto c = ScoreCalibration::fit(s.genuine, s.impostor);
  ASSERT_TRUE(c) << c.error().to_string();
  float prev = -1e9f;
  for (float x = -0.5f; x <= 1.5f; x += 0.001f) {
    const float l = c->llr(x);
    ASSERT_TRUE(std::isfinite(l));
    ASSERT_GE(l, prev);
    prev = l;
  }
  EXPECT_LT(c->llr(0.02f), 0.0f);
  EXPECT_GT(c->llr(0.5f), 2.0f);
  // Bounded by the data: no more than ~log10 of the sample counts.
  EXPECT_LT(c->max_llr(), 6.0f);
  EXPECT_GT(c->min_llr(), -5.0f);
}

// Real matchers rarely tie at the bottom: the lowest score is one lone impostor. Its pseudo-sample
// partner must not make every impostor score look like evidence *for* a match (a bug seen with
// the MCC matcher: every impostor finger got LLR +0.9).
TEST(ScoreCalibration, LoneLowestSampleDoesNotLiftImpostors) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g(0.15f, 0.08f), i(0.013f, 0.002f);
  std::vector<float> genuine, impostor;
  for (int k = 0; k < 2000; ++k) genuine.push_back(std::max(0.003f, g(rng)));
  for (int k = 0; k < 16000; ++k) impostor.push_back(std::max(0.002f, i(rng)));
  auto c = ScoreCalibration::fit(genuine, impostor);
  ASSERT_TRUE(c) << c.error().to_string();
  std::sort(impostor.begin(), impostor.end());
  EXPECT_LT(c->llr(impostor[impostor.size() / 2]), -1.0f);
  EXPECT_LT(c->llr(impostor[impostor.size() * 9 / 10]), -0.5f);
  EXPECT_GT(c->llr(0.15f), 1.5f);
}

TEST(ScoreCalibration, RejectsTooFewOrNonFiniteScores) {
  std::vector<float> few = {0.1f, 0.2f};
  std::vector<float> many(100, 0.1f);
  EXPECT_FALSE(ScoreCalibration::fit(few, many));
  many[3] = NAN;
  EXPECT_FALSE(ScoreCalibration::fit(many, many));
}

TEST(FusionModel, ImpostorTailMatchesMonteCarloForSeveralFingers) {
  auto s = draw(2, 5000, 200000);
  auto c = ScoreCalibration::fit(s.genuine, s.impostor);
  ASSERT_TRUE(c);
  auto m = FusionModel::build(*c, ScoreCalibration{});
  ASSERT_TRUE(m) << m.error().to_string();

  // Fresh impostor draws, 3 fingers each: the empirical tail at the model's 1e-3 LLR is ~1e-3.
  auto fresh = draw(3, 10, 3 * 200000);
  const float t = m->llr_for_fmr(1e-3, 3, false);
  int above = 0;
  for (std::size_t i = 0; i + 2 < fresh.impostor.size(); i += 3) {
    const float sum = c->llr(fresh.impostor[i]) + c->llr(fresh.impostor[i + 1]) + c->llr(fresh.impostor[i + 2]);
    above += sum >= t;
  }
  const double rate = above / 200000.0;
  EXPECT_GT(rate, 0.4e-3);
  EXPECT_LT(rate, 2.0e-3);
}

TEST(FusionModel, ScoreMeansTheSameWhateverWasCompared) {
  auto s = draw(4, 5000, 100000);
  auto c = ScoreCalibration::fit(s.genuine, s.impostor);
  ASSERT_TRUE(c);
  auto m = FusionModel::build(*c, ScoreCalibration{});
  ASSERT_TRUE(m);
  // Two configurations whose LLR reaches the 1e-4 impostor tail both score ~4.
  for (int k : {1, 4, 10}) {
    const float llr = m->llr_for_fmr(1e-4, k, false);
    const auto f = m->fuse_llr(llr, k, false);
    EXPECT_NEAR(f.score, 4.0f, 0.35f) << k << " fingers";
  }
  std::array<float, kFingerCount> none;
  none.fill(NAN);
  EXPECT_EQ(m->fuse(none, NAN).fingers, 0);
  EXPECT_EQ(m->fuse(none, NAN).score, 0.0f);
  std::array<float, kFingerCount> ten;
  ten.fill(0.6f);
  const auto strong = m->fuse(ten, NAN);
  EXPECT_EQ(strong.fingers, 10);
  EXPECT_GT(strong.score, 20.0f);
  EXPECT_LE(strong.score, FusionModel::kMaxScore);
}

TEST(FusionModel, FaceAddsEvidenceAndRoundTrips) {
  auto f = draw(5, 3000, 30000);
  auto fc = ScoreCalibration::fit(f.genuine, f.impostor);
  std::mt19937_64 rng(6);
  std::normal_distribution<float> g(0.65f, 0.08f), i(0.0f, 0.045f);
  std::vector<float> fg, fi;
  for (int k = 0; k < 3000; ++k) fg.push_back(g(rng));
  for (int k = 0; k < 30000; ++k) fi.push_back(i(rng));
  auto face = ScoreCalibration::fit(fg, fi);
  ASSERT_TRUE(fc && face);
  auto m = FusionModel::build(*fc, *face);
  ASSERT_TRUE(m);
  std::array<float, kFingerCount> scores;
  scores.fill(NAN);
  scores[1] = 0.3f;
  const auto without = m->fuse(scores, NAN);
  const auto with = m->fuse(scores, 0.7f);
  EXPECT_TRUE(with.face);
  EXPECT_GT(with.score, without.score);

  auto back = FusionModel::deserialize(m->serialize());
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_FLOAT_EQ(back->fuse(scores, 0.7f).score, with.score);
  EXPECT_FALSE(FusionModel::deserialize("junk"));
  EXPECT_FALSE(FusionModel::deserialize(m->serialize().substr(0, 40)));
}

TEST(FusionModel, ThresholdFollowsGallerySizeAndFpir) {
  EXPECT_NEAR(FusionModel::threshold_for_fpir(1e-3, 1'000'000), 9.0f, 1e-4);
  EXPECT_NEAR(FusionModel::threshold_for_fpir(1e-3, 100'000), 8.0f, 1e-4);
  EXPECT_NEAR(FusionModel::threshold_for_fpir(1e-2, 1'000'000), 8.0f, 1e-4);
}
