// Local Similarity Sort with Relaxation, Cappelli, Ferrara, Maltoni, TPAMI 2010, Sect. 5.2
// (after Feng's relaxation, "Fingerprint matching using ridges", PR 2006):
//  1. LSS pre-selection: the nR = min(nA, nB, max_nr) pairs with the highest local similarity, each
//     minutia used at most once (greedy on the sorted Γ), λ^0_t = Γ[r_t, c_t];
//  2. nrel relaxation steps, λ^i_t = wR λ^{i-1}_t + (1-wR) Σ_{k≠t} ρ(t,k) λ^{i-1}_k / (nR-1),
//     where ρ(t,k) (eq. 25) is the geometric compatibility of pairs t and k: the product of three
//     sigmoids of (1) the difference of the distances a_t–a_k and b_t–b_k, (2) the difference of
//     the relative directions, (3) the difference of the radial angles;
//  3. the nP pairs with the highest efficiency λ^{nrel}_t / λ^0_t are kept and the global score is
//     the mean of their relaxed similarities, nP = minNP + round(Z(min(nA,nB), μP, τP)(maxNP-minNP))
//     (eq. 22).
#include "matcher/detail/lss_r.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <cmath>
#include <numeric>

#include "matcher/detail/angles.h"
#include "matcher/detail/compatibility.h"

namespace tunggal::matcher::detail {

float lss_r(const PreparedTemplate& a, const PreparedTemplate& b, const std::vector<float>& gamma,
            const MatcherOptions& opt, std::vector<CylinderPair>* pairs) {
  if (pairs) pairs->clear();
  const int na = a.cylinder_count(), nb = b.cylinder_count();
  if (na == 0 || nb == 0) return 0.0f;
  const int n_min = std::min(na, nb);
  const int n_sel = std::max(1, std::min(n_min, opt.max_nr));  // nR
  const int np = opt.min_np +
                 static_cast<int>(std::lround(sigmoid(float(n_min), opt.mu_p, opt.tau_p) * (opt.max_np - opt.min_np)));

  // 1. LSS pre-selection: a greedy walk over Γ in decreasing order (ties: lower row, then lower
  // column first) accepts a pair when neither of its minutiae is taken yet, until nR pairs. The
  // walk is done lazily instead of sorting Γ: every row keeps its best entry among the columns not
  // taken; the row with the largest such entry gives the next pair, and a row whose best column was
  // taken meanwhile is rescanned only when it comes up. Row maxima of stale rows are upper bounds
  // of their true maxima, so this accepts exactly the pairs, in exactly the order, of the sorted
  // walk, for ~na + nR row scans instead of a pass over Γ and a sort.
  thread_local std::vector<char> used_b;
  used_b.assign(nb, 0);
  thread_local std::vector<float> row_max;
  thread_local std::vector<int> row_arg;
  row_max.resize(na);
  row_arg.resize(na);
  const auto rescan = [&](int i, bool check_used) {
    const float* row = &gamma[std::size_t(i) * nb];
    float best = 0.0f;  // only Γ > 0 is ever selected
    int arg = -1;
    for (int j = 0; j < nb; ++j) {
      const float g = row[j];
      const bool better = g > best && !(check_used && used_b[j]);
      best = better ? g : best;
      arg = better ? j : arg;
    }
    row_max[i] = arg < 0 ? -1.0f : best;
    row_arg[i] = arg;
  };
  for (int i = 0; i < na; ++i) rescan(i, false);
  struct Sel {
    int a, b;
    float l0;
  };
  thread_local std::vector<Sel> sel;
  sel.clear();
  while (static_cast<int>(sel.size()) < n_sel) {
    int bi = 0;
    float bm = row_max[0];
    for (int i = 1; i < na; ++i) {
      const bool better = row_max[i] > bm;
      bm = better ? row_max[i] : bm;
      bi = better ? i : bi;
    }
    if (bm <= 0.0f) break;  // no positive entry left in a free row and column
    const int j = row_arg[bi];
    if (used_b[j]) {
      rescan(bi, true);
      continue;
    }
    used_b[j] = 1;
    row_max[bi] = -1.0f;  // row taken
    sel.push_back({bi, j, bm});
  }
  const int nr = static_cast<int>(sel.size());
  if (nr == 0) return 0.0f;

  // 2. Relaxation on the compatibility matrix ρ (matcher/detail/compatibility.h).
  const auto am = a.minutiae();
  const auto bm = b.minutiae();
  const int stride = (nr + kCompatibilityLanes - 1) / kCompatibilityLanes * kCompatibilityLanes;
  thread_local std::vector<float> soa;
  soa.resize(std::size_t(6) * stride);
  float* ax = soa.data();
  float *ay = ax + stride, *aa = ay + stride, *bx = aa + stride, *by = bx + stride, *ba = by + stride;
  for (int t = 0; t < stride; ++t) {
    const int u = t < nr ? t : 0;  // padding repeats pair 0: finite, and its ρ column is never read
    const PreparedMinutia& mt = am[a.cylinder_minutia(sel[u].a)];
    const PreparedMinutia& nt = bm[b.cylinder_minutia(sel[u].b)];
    ax[t] = mt.x, ay[t] = mt.y, aa[t] = mt.angle, bx[t] = nt.x, by[t] = nt.y, ba[t] = nt.angle;
  }
  thread_local std::vector<float> rho;
  rho.resize(std::size_t(nr) * stride);
  compatibility_matrix({ax, ay, aa, bx, by, ba, nr, stride}, opt, rho.data());
  thread_local std::vector<float> lam, next;
  lam.resize(nr);
  next.resize(nr);
  for (int t = 0; t < nr; ++t) lam[t] = sel[t].l0;
  const float norm = nr > 1 ? 1.0f / float(nr - 1) : 0.0f;
  thread_local std::vector<float> acc;
  acc.resize(stride);  // whole vector blocks; entries nr.. are never read
  for (int it = 0; it < opt.n_rel; ++it) {
    // acc[t] = Σ_k ρ(t,k) λ_k, summed in k order; ρ is symmetric, so walking rows k of ρ makes the
    // inner loop over t independent accumulators, which vectorise without reordering any sum.
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int k = 0; k < nr; ++k) {
      const float* row = &rho[std::size_t(k) * stride];
      const float lk = lam[k];
      for (int t = 0; t < stride; ++t) acc[t] += row[t] * lk;  // ρ(t,t) == 0; columns nr.. are padding
    }
    for (int t = 0; t < nr; ++t) next[t] = opt.w_r * lam[t] + (1.0f - opt.w_r) * acc[t] * norm;
    lam.swap(next);
  }

  // 3. Efficiency-ranked selection of nP pairs, global score.
  thread_local std::vector<int> idx;
  idx.resize(nr);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int x, int y) {
    const float ex = lam[x] / sel[x].l0, ey = lam[y] / sel[y].l0;
    return ex > ey || (ex == ey && x < y);
  });
  const int take = std::min(np, nr);
  float sum = 0.0f;
  for (int q = 0; q < take; ++q) sum += lam[idx[q]];
  if (pairs) {
    for (int q = 0; q < take; ++q) pairs->push_back({sel[idx[q]].a, sel[idx[q]].b, lam[idx[q]]});
    std::sort(pairs->begin(), pairs->end(), [](const CylinderPair& x, const CylinderPair& y) { return x.lambda > y.lambda; });
  }
  // Fewer than nP pairs found counts the missing ones as 0, so tiny overlaps cannot score high.
  const float s = sum / float(np);
  return std::isfinite(s) ? std::clamp(s, 0.0f, 1.0f) : 0.0f;
}

}  // namespace tunggal::matcher::detail
