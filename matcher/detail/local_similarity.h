#pragma once
// Stage 2 of MCC: the local similarity matrix Γ between every cylinder of A and every cylinder of B.
#include <vector>

#include "matcher/finger_matcher.h"

namespace tunggal::matcher::detail {

// gamma is resized to a.cylinder_count() x b.cylinder_count(), row-major; entries are the
// bit-based local similarity λ(a,b) in [0,1] (Cappelli et al. 2010, eq. 17 with eq. 13-15),
// 0 where the two cylinders are not matchable (direction difference > δθ, or fewer than minME
// cells valid in both).
void local_similarity_matrix(const PreparedTemplate& a, const PreparedTemplate& b,
                             const MatcherOptions& opt, std::vector<float>& gamma);

// Which popcount kernel the CPU runs ("avx512-vpopcntdq", "avx2", "scalar"), for reports.
const char* local_similarity_kernel();

// Tests only: run the portable kernels (no AVX-512) of Γ and LSS-R instead of the ones picked for
// this CPU, so that both are checked to give the same scores on a machine that has AVX-512.
void set_portable_kernels(bool on);
bool portable_kernels();

}  // namespace tunggal::matcher::detail
