// The fusion model's hard-case pieces: the face's extreme-value impostor tail beyond the
// calibration data, quality classes of finger pairs (a worn finger's low score is weak evidence, a
// clear print's strong), identity scores per quality mix, and loading models stored before them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "matcher/face_tail.h"
#include "matcher/fusion_model.h"
#include "matcher/score_calibration.h"

using namespace tunggal;

namespace {

std::vector<float> normal(std::uint64_t seed, int n, float mean, float sd, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(mean, sd);
  std::vector<float> v;
  for (int k = 0; k < n; ++k) v.push_back(std::clamp(d(rng), lo, hi));
  return v;
}

// P(N(0, sd) > x).
double gauss_tail(double x, double sd) { return 0.5 * std::erfc(x / (sd * std::sqrt(2.0))); }

}  // namespace

// 24,000 impostor cosines of 512-d random faces (sd ~0.044): the PAV calibration stops at its
// largest sample, the tail goes on, and never claims more than a Gaussian would (conservative).
TEST(FaceTail, ExtrapolatesBeyondTheDataConservatively) {
  const auto imp = normal(1, 24000, 0.0f, 0.044f);
  auto t = FaceTail::fit(imp);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_NEAR(t->exceed_fraction(), 0.01f, 0.002f);
  EXPECT_NEAR(t->threshold(), 0.102f, 0.01f);  // the 99th percentile, 2.33 sd
  EXPECT_GE(t->shape(), 0.0f);
  // Near the threshold it agrees with the truth within a factor of 3.
  EXPECT_NEAR(std::log10(t->tail(0.13f)), std::log10(gauss_tail(0.13, 0.044)), 0.5);
  // Far beyond every sample: far less likely than 1 in 24,000, yet never less than the truth.
  for (float x : {0.25f, 0.35f, 0.6f}) {
    EXPECT_GE(t->tail(x), gauss_tail(x, 0.044)) << x;
  }
  EXPECT_GT(t->score(0.35f), 6.0f);
  EXPECT_GT(t->score(0.6f), 12.0f);
  EXPECT_LE(t->score(0.99f), FaceTail::kMaxScore);
  // Monotone, and no claim below the threshold.
  float prev = 0.0f;
  for (float x = -0.2f; x < 1.0f; x += 0.01f) {
    ASSERT_GE(t->score(x), prev);
    prev = t->score(x);
  }
  EXPECT_EQ(t->score(0.0f), 0.0f);
  EXPECT_EQ(t->score(NAN), 0.0f);

  std::string bytes;
  t->serialize(bytes);
  std::string_view in = bytes;
  auto back = FaceTail::deserialize(in);
  ASSERT_TRUE(back);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(back->score(0.3f), t->score(0.3f));
  std::string_view cut = std::string_view(bytes).substr(0, 7);
  EXPECT_FALSE(FaceTail::deserialize(cut));
}

TEST(FaceTail, RefusesTooFewSamples) {
  const auto few = normal(2, 2000, 0.0f, 0.044f);  // 20 above the 99th percentile
  EXPECT_FALSE(FaceTail::fit(few));
  EXPECT_TRUE(FaceTail::fit(few, 0.05));
  EXPECT_FALSE(FaceTail::fit(few, 0.7));
}

namespace {

// A finger matcher's scores: clear pairs separate (impostor ~N(0.02, 0.01), genuine ~N(0.3, 0.12));
// worn pairs do not (genuine mostly at impostor level, a few a little above).
struct Model {
  ScoreCalibration good, poor;
  FusionModel model;
};

Model make_model(bool face_tail) {
  Model m;
  m.good = *ScoreCalibration::fit(normal(3, 3000, 0.3f, 0.12f, 0, 1), normal(4, 24000, 0.02f, 0.01f, 0, 1));
  auto worn_gen = normal(5, 700, 0.025f, 0.012f, 0, 1);
  const auto some = normal(6, 300, 0.12f, 0.05f, 0, 1);
  worn_gen.insert(worn_gen.end(), some.begin(), some.end());
  m.poor = *ScoreCalibration::fit(worn_gen, normal(7, 8000, 0.02f, 0.01f, 0, 1));
  auto face = *ScoreCalibration::fit(normal(8, 300, 0.65f, 0.08f), normal(9, 24000, 0.0f, 0.044f));
  FaceTail tail;
  if (face_tail) tail = *FaceTail::fit(normal(9, 24000, 0.0f, 0.044f));
  m.model = *FusionModel::build(m.good, face, m.poor, tail, 40);
  return m;
}

}  // namespace

TEST(FusionQuality, AWornFingersLowScoreIsWeakEvidenceAClearOnesIsStrong) {
  const Model m = make_model(false);
  ASSERT_TRUE(m.model.has_quality_classes());
  EXPECT_LT(m.model.finger_llr(0.02f, false), -1.0f);
  EXPECT_GT(m.model.finger_llr(0.02f, true), -0.5f);
  EXPECT_LT(m.model.finger_llr(0.02f, true), 0.3f);
  // Quality classes: either impression at or below the bound; 0 = unknown counts as good.
  EXPECT_TRUE(m.model.poor_pair(30, 80));
  EXPECT_TRUE(m.model.poor_pair(80, 40));
  EXPECT_FALSE(m.model.poor_pair(41, 80));
  EXPECT_FALSE(m.model.poor_pair(0, 0));
  EXPECT_FALSE(m.model.poor_pair(0, 90));

  // Seven worn fingers at impostor level: barely any evidence; seven clear ones: overwhelming.
  std::array<float, kFingerCount> scores;
  scores.fill(NAN);
  for (int s = 0; s < 7; ++s) scores[static_cast<std::size_t>(s)] = 0.02f;
  const auto worn = m.model.fuse(scores, NAN, 0x7f);
  const auto clear = m.model.fuse(scores, NAN, 0);
  EXPECT_EQ(worn.poor_fingers, 7);
  EXPECT_EQ(clear.poor_fingers, 0);
  EXPECT_GT(worn.finger_llr, -3.0f);
  EXPECT_LT(clear.finger_llr, -7.0f);
}

// The identity score for a quality mix is the impostor tail of exactly that mix.
TEST(FusionQuality, MixedImpostorTailMatchesMonteCarlo) {
  const Model m = make_model(false);
  const auto good_imp = normal(11, 600000, 0.02f, 0.01f, 0, 1);
  const auto poor_imp = normal(12, 600000, 0.02f, 0.01f, 0, 1);
  // 2 good + 3 poor fingers, no face: the fused LLR whose model tail is 1e-3.
  const int n = 100000;
  std::vector<float> sums;
  for (int i = 0; i < n; ++i) {
    float sum = 0;
    for (int k = 0; k < 2; ++k) sum += m.good.llr(good_imp[static_cast<std::size_t>(i * 2 + k)]);
    for (int k = 0; k < 3; ++k) sum += m.poor.llr(poor_imp[static_cast<std::size_t>(i * 3 + k)]);
    sums.push_back(sum);
  }
  std::sort(sums.begin(), sums.end());
  const float at = sums[static_cast<std::size_t>(n - n / 1000)];  // empirical 1e-3 tail
  const double model_tail = m.model.impostor_tail(at, 5, false, 3);
  EXPECT_GT(model_tail, 0.3e-3);
  EXPECT_LT(model_tail, 3e-3);
  // A poor mix is not judged by the all-good tail (which would call it much rarer).
  EXPECT_LT(m.model.impostor_tail(at, 5, false, 0), model_tail / 10);
}

TEST(FusionQuality, FaceTailScoreAndRoundTripsAndOldRecordsStillLoad) {
  const Model m = make_model(true);
  EXPECT_GT(m.model.face_tail_score(0.6f), 12.0f);
  EXPECT_LT(m.model.face_tail_score(0.05f), 1.0f);
  // The PAV face LLR stops at the data, the tail does not.
  EXPECT_LT(m.model.face_calibration().llr(0.6f), 5.0f);

  std::array<float, kFingerCount> scores;
  scores.fill(NAN);
  scores[0] = 0.02f, scores[1] = 0.3f, scores[2] = 0.03f;
  auto back = FusionModel::deserialize(m.model.serialize());
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_TRUE(back->has_quality_classes());
  EXPECT_EQ(back->poor_quality_at_most(), 40);
  EXPECT_FLOAT_EQ(back->fuse(scores, 0.5f, 0b101).score, m.model.fuse(scores, 0.5f, 0b101).score);
  EXPECT_FLOAT_EQ(back->face_tail_score(0.5f), m.model.face_tail_score(0.5f));
  EXPECT_FALSE(FusionModel::deserialize(m.model.serialize().substr(0, m.model.serialize().size() - 3)));

  // A record written before the quality classes (TGFM1: finger and face calibrations only).
  std::string old = "TGFM1";
  old.push_back(1);
  m.good.serialize(old);
  old.push_back(1);
  m.model.face_calibration().serialize(old);
  auto legacy = FusionModel::deserialize(old);
  ASSERT_TRUE(legacy) << legacy.error().to_string();
  EXPECT_FALSE(legacy->has_quality_classes());
  EXPECT_TRUE(legacy->face_tail().empty());
  EXPECT_EQ(legacy->face_tail_score(0.9f), 0.0f);
  EXPECT_FALSE(legacy->poor_pair(10, 10));
  // Every pair judged by the one calibration, as before.
  EXPECT_FLOAT_EQ(legacy->fuse(scores, 0.5f, 0b101).llr, m.good.llr(0.02f) + m.good.llr(0.3f) + m.good.llr(0.03f) +
                                                             m.model.face_calibration().llr(0.5f));
}
