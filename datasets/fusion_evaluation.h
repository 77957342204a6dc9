#pragma once
// The 10-finger fused FNMR at very low FMR (issue 3 item 4), on a generated population.
//
// FMR = 1e-6 needs millions of impostor identity pairs at 10 comparisons each; counting them
// directly costs ~10 comparisons per pair. Instead the per-finger impostor scores are measured
// (every position against the same position of other people), turned into LLRs with a fusion
// model calibrated on a *different* population, and the distribution of the 10-finger LLR sum is
// the convolution of the ten per-position impostor LLR distributions: exact for the empirical
// distributions if the fingers of two different people score independently, the assumption of LLR
// sum fusion (Nandakumar et al., TPAMI 2008). That assumption is checked by direct counting: all
// identity pairs among the first `direct_subjects` people are compared finger by finger and their
// false matches at each threshold are counted next to what the convolution predicts.
//
// Genuine identity pairs are capture 1 against capture 0 of each subject (all fingers both
// captures hold), so FNMR is counted directly.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {

struct FusionEvalOptions {
  std::uint64_t seed = 21;              // evaluation population
  std::uint64_t calibration_seed = 22;  // the fusion model's population; must differ from seed
  std::uint64_t subjects = 1000;        // genuine identity pairs: one per subject
  std::uint64_t calibration_identities = 300;
  int impostor_partners = 40;           // per subject and finger position: per-finger impostor scores
  std::uint64_t direct_subjects = 200;  // all ordered identity pairs among these are counted directly
  std::vector<double> fmrs = {1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8};
};

// A distribution of a summed LLR on a grid: value of bin i is base + i * step. Each sample is put
// in the bin at or above its value, so tails computed from it never under-state P(X >= t).
class LlrPmf {
 public:
  static constexpr double kStep = 0.01;
  LlrPmf() : p_{1.0} {}  // point mass at 0: the sum of nothing
  static LlrPmf of_samples(std::span<const float> llrs);
  static LlrPmf convolve(const LlrPmf& a, const LlrPmf& b);
  // P(X >= t).
  double tail(double t) const;
  // The smallest grid value t with P(X >= t) <= fmr.
  double threshold_for(double fmr) const;

 private:
  long base_ = 0;  // in steps
  std::vector<double> p_;
  std::vector<double> upper_{1.0, 0.0};  // upper_[i] = P(bin >= i)
  void finish();
};

struct FusionFmrPoint {
  double fmr = 0;                // target
  double threshold = 0;          // fused LLR threshold from the convolution (eval population)
  double fnmr_10 = 0;            // genuine pairs with all 10 fingers compared, below threshold
  double fnmr_all = 0;           // every genuine pair, threshold from its own fingers' convolution
  double model_threshold = 0;    // the engine's fusion model threshold for 10 fingers (calibration)
  double model_fnmr_10 = 0;      // FNMR_10 at the model's threshold
  double model_tail_eval = 0;    // the eval population's convolution at the model's threshold
  std::uint64_t direct_false_matches = 0;  // direct identity pairs (10 fingers) at/above threshold
};

// The convolution against direct counting at thresholds where direct counts can resolve it.
struct FusionDirectCheck {
  double predicted_fmr = 0;
  double threshold = 0;
  std::uint64_t observed = 0;  // identity pairs at or above the threshold
  double observed_fmr = 0;
};

struct FusionEvalReport {
  std::uint64_t subjects = 0;
  std::uint64_t genuine_pairs = 0, genuine_pairs_10 = 0;
  std::uint64_t impostor_finger_scores = 0;  // per-finger impostor comparisons in the convolution
  std::uint64_t direct_pairs_10 = 0;         // directly counted impostor identity pairs, 10 fingers
  std::uint64_t comparisons = 0;
  double seconds = 0, cpu_seconds = 0;
  std::vector<FusionFmrPoint> points;
  std::vector<FusionDirectCheck> checks;
  double genuine_llr_median_10 = 0, impostor_llr_max_direct = 0;
};

using FusionProgress = std::function<void(const std::string& stage)>;

Expected<FusionEvalReport> evaluate_fusion(const FusionEvalOptions& options, const matcher::FingerMatcher& matcher,
                                           const FusionProgress& progress = {});

}  // namespace tunggal::datasets
