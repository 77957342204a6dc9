// The fused-FNMR estimate (datasets/fusion_evaluation.h): the convolved tail against exhaustive
// enumeration, and the evaluation on a small generated population (library and CLI).
#include "datasets/fusion_evaluation.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli_run.h"

namespace tunggal::datasets {
namespace {

// P(a + b + c >= t) by enumerating every combination.
double brute_tail(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c, double t) {
  std::size_t hit = 0;
  for (float x : a)
    for (float y : b)
      for (float z : c) hit += double(x) + double(y) + double(z) >= t - 1e-9;
  return double(hit) / double(a.size() * b.size() * c.size());
}

TEST(LlrPmf, ConvolutionMatchesEnumerationOnTheGrid) {
  const std::vector<float> a = {-1.0f, -1.0f, 0.5f, 2.0f}, b = {-0.5f, 0.0f, 1.5f}, c = {-2.0f, 3.0f};
  const LlrPmf sum = LlrPmf::convolve(LlrPmf::convolve(LlrPmf::of_samples(a), LlrPmf::of_samples(b)),
                                      LlrPmf::of_samples(c));
  for (double t : {-3.5, -3.0, -1.0, 0.0, 1.5, 2.0, 3.5, 5.0, 6.5, 7.0})
    EXPECT_NEAR(sum.tail(t), brute_tail(a, b, c, t), 1e-12) << "t=" << t;
  // The threshold for an FMR is the first grid value whose tail is at most that FMR.
  EXPECT_NEAR(sum.threshold_for(1.0 / 24.0 + 1e-12), 5.01, 1e-9);  // only 2+1.5+3 = 6.5 reaches above 5.0
  EXPECT_DOUBLE_EQ(sum.tail(sum.threshold_for(1e-9)), 0.0);
}

TEST(LlrPmf, OffGridSamplesGiveAConservativeTail) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> a(40), b(40), c(40);
  for (auto* v : {&a, &b, &c})
    for (float& x : *v) x = g(rng);
  const LlrPmf sum = LlrPmf::convolve(LlrPmf::convolve(LlrPmf::of_samples(a), LlrPmf::of_samples(b)),
                                      LlrPmf::of_samples(c));
  for (double t = -3.0; t <= 3.0; t += 0.37) {
    const double exact = brute_tail(a, b, c, t);
    EXPECT_GE(sum.tail(t) + 1e-12, exact) << "t=" << t;
    // ... by at most the mass within three grid steps below t.
    EXPECT_LE(sum.tail(t), brute_tail(a, b, c, t - 3 * LlrPmf::kStep) + 1e-12) << "t=" << t;
  }
}

TEST(FusionEvaluation, SmallPopulationGivesConsistentRates) {
  FusionEvalOptions o;
  o.subjects = 30;
  o.impostor_partners = 4;
  o.direct_subjects = 12;
  o.calibration_identities = 30;
  const matcher::FingerMatcher m;
  auto r = evaluate_fusion(o, m);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->subjects, 30u);
  EXPECT_GE(r->genuine_pairs, 28u);
  EXPECT_GT(r->genuine_pairs_10, 20u);
  EXPECT_GT(r->impostor_finger_scores, 30u * 4 * 9);
  EXPECT_GT(r->direct_pairs_10, 100u);
  ASSERT_EQ(r->points.size(), o.fmrs.size());
  for (std::size_t i = 0; i < r->points.size(); ++i) {
    const auto& p = r->points[i];
    EXPECT_GE(p.fnmr_10, 0.0);
    EXPECT_LE(p.fnmr_10, 1.0);
    if (i == 0) continue;
    // A lower FMR never needs a lower threshold nor misses fewer mates.
    EXPECT_GE(p.threshold, r->points[i - 1].threshold);
    EXPECT_GE(p.fnmr_10, r->points[i - 1].fnmr_10);
    EXPECT_GE(p.model_threshold, r->points[i - 1].model_threshold);
  }
  // Ten fingers of the same person are overwhelming evidence: the median genuine sum is far
  // above every directly compared impostor pair, and few mates miss even FMR 1e-6.
  EXPECT_GT(r->genuine_llr_median_10, r->impostor_llr_max_direct + 5.0);
  EXPECT_LT(r->points[3].fnmr_10, 0.2);
}

TEST(FusionEvaluation, RefusesToMeasureOnTheCalibrationPopulation) {
  FusionEvalOptions o;
  o.calibration_seed = o.seed;
  const matcher::FingerMatcher m;
  auto r = evaluate_fusion(o, m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("seed"), std::string::npos);
}

TEST(EvalFusionCli, JsonContract) {
  const auto r = testing::run_tunggal(
      "eval fusion --subjects 24 --partners 3 --direct 10 --calibration-identities 24 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j["subjects"], 24);
  ASSERT_FALSE(j["points"].empty());
  for (const auto& p : j["points"]) {
    EXPECT_TRUE(p.contains("fmr"));
    EXPECT_GE(p["fnmr_10"].get<double>(), 0.0);
    EXPECT_LE(p["fnmr_all"].get<double>(), 1.0);
  }
  EXPECT_EQ(testing::run_tunggal("eval fusion --subjects 24 --seed 3 --calibration-seed 3").exit_code, 2);
}

}  // namespace
}  // namespace tunggal::datasets
