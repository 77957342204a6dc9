#pragma once
// ρ of LSS-R (Cappelli et al. 2010, eq. 23-25): the geometric compatibility of every two of the nR
// pre-selected minutia pairs, computed for all of them at once so that the compiler vectorises it
// (no libm calls in the loop: exp and atan2 are branch-free approximations, see the .cpp).
#include "matcher/finger_matcher.h"

namespace tunggal::matcher::detail {

// The selected pairs in structure-of-arrays form: pair t joins minutia (ax[t], ay[t], aa[t]) of A
// with (bx[t], by[t], ba[t]) of B (pixels, image-frame angles). Each array holds `stride` floats,
// stride a multiple of kCompatibilityLanes >= n; entries n..stride-1 are finite padding.
inline constexpr int kCompatibilityLanes = 16;
struct SelectedPairs {
  const float *ax, *ay, *aa, *bx, *by, *ba;
  int n;
  int stride;
};

// rho[t * stride + k] = ρ(t, k) for t < k < n, mirrored to rho[k * stride + t]; the diagonal is 0;
// columns n..stride-1 hold garbage. rho holds n * stride floats.
void compatibility_matrix(const SelectedPairs& p, const MatcherOptions& opt, float* rho);

}  // namespace tunggal::matcher::detail
