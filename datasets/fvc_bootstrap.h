#pragma once
// How much an FVC set's EER can be trusted: a bootstrap that resamples fingers.
//
// A set holds few fingers (FVC2002: 10 x 8 impressions). A finger's genuine pairs and the impostor
// pairs it takes part in rise and fall together (a smudged finger fails all its pairs), so the
// pairs are not independent draws and resampling them one by one gives intervals far too narrow.
// Each draw here picks as many fingers as the set has, with replacement, keeps the genuine pairs
// of every finger drawn (once per time it was drawn) and the impostor pairs between every two
// distinct fingers drawn, and computes the EER of each result on that same draw. Several results
// on the same set (the provided templates and our extractor's) are resampled together, so their
// difference and ratio have intervals of their own (docs/extraction.md, session 12).
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "datasets/fvc_protocol.h"
#include "datasets/fvc_set.h"

namespace tunggal::datasets {

struct BootstrapOptions {
  int draws = 2000;
  std::uint64_t seed = 1;  // std::mt19937_64: the same draws on every machine
};

// eers[r][d]: the EER of results[r] on draw d. Every result must come from run_fvc_protocol on
// `set` (or on a set with the same impressions in the same order, e.g. FvcExtraction::set) with
// `impostors`; a result whose score counts do not match fvc_pairs(set, impostors) is an
// invalid-argument error. A draw with no impostor pair (every finger drawn the same) is drawn again.
struct FingerBootstrap {
  std::vector<std::vector<double>> eers;
};
Expected<FingerBootstrap> bootstrap_eer_by_finger(const FvcSet& set, ImpostorPairs impostors,
                                                  std::span<const FvcSetResult* const> results,
                                                  const BootstrapOptions& options = {});

// The q-quantile (0..1) of `values` by the nearest-rank rule; 0 for an empty span.
double quantile(std::span<const double> values, double q);

}  // namespace tunggal::datasets
