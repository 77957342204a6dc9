#pragma once
// Stages 3-4 of MCC: LSS-R consolidation of the local similarities into one global score.
#include <span>
#include <vector>

#include "matcher/finger_matcher.h"

namespace tunggal::matcher::detail {

struct CylinderPair {
  int a, b;      // cylinder indices
  float lambda;  // relaxed similarity λ^{nrel}
};

// Global score in [0,1] from the local-similarity matrix gamma (a.cylinder_count() rows,
// b.cylinder_count() columns). When `pairs` is non-null it receives the scoring pairs, best first.
float lss_r(const PreparedTemplate& a, const PreparedTemplate& b, const std::vector<float>& gamma,
            const MatcherOptions& opt, std::vector<CylinderPair>* pairs);

}  // namespace tunggal::matcher::detail
