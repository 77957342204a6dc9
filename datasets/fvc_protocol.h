#pragma once
// The FVC verification protocol on one loaded set (Maio et al., FVC2002): genuine pairs are every
// two impressions of the same finger (28 per finger with 8 impressions); impostor pairs are either
// the first impressions of every two different fingers (45 for 10 fingers) or, for a finer
// estimate, every cross-finger pair of impressions (2,880 for 10 x 8). The matcher is symmetric,
// so each unordered pair is scored once.
#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"
#include "datasets/error_rates.h"
#include "datasets/fvc_set.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {

enum class ImpostorPairs { kAllCrossFinger, kFirstImpressions };

struct IndexPair {
  int a = 0, b = 0;  // indices into FvcSet::impressions
};

struct FvcPairs {
  std::vector<IndexPair> genuine;
  std::vector<IndexPair> impostor;
};

FvcPairs fvc_pairs(const FvcSet& set, ImpostorPairs impostors);

struct FvcSetResult {
  std::string name;
  std::vector<float> genuine_scores;   // same order as FvcPairs::genuine
  std::vector<float> impostor_scores;  // same order as FvcPairs::impostor
  ErrorRates rates;
  std::size_t templates = 0;
  double prepare_seconds = 0;            // wall time of preparing every template (all cores)
  double score_seconds = 0;              // wall time of scoring every pair (all cores)
  double comparisons_per_second = 0;     // (genuine + impostor) / score_seconds
  // Process CPU time (all threads) spent scoring, and comparisons per CPU-second: what one core
  // does, independent of how busy a shared machine is (wall-clock rates are not).
  double score_cpu_seconds = 0;
  double comparisons_per_cpu_second = 0;
  double bytes_per_template = 0;         // mean PreparedTemplate::memory_bytes()
  std::size_t failed_to_enrol = 0;       // templates scored 0 under UnpreparableTemplate::kScoreZero
};

// What to do with a template the matcher cannot prepare (too few minutiae, ...).
enum class UnpreparableTemplate {
  kFail,       // the protocol fails, naming the file (provided templates: a broken record is a bug)
  kScoreZero,  // FVC's failure-to-enrol rule: every pair with it scores 0 (our own extractor's output)
};

// Prepares every template once (in parallel), then scores every pair in parallel with TBB and
// times the scoring alone.
Expected<FvcSetResult> run_fvc_protocol(const FvcSet& set, const matcher::FingerMatcher& m,
                                        ImpostorPairs impostors = ImpostorPairs::kAllCrossFinger,
                                        UnpreparableTemplate unpreparable = UnpreparableTemplate::kFail);

}  // namespace tunggal::datasets
