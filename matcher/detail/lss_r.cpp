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

// GCC 12 reports false -Wuninitialized inside its own AVX-512 headers (_mm512_reduce_max_ps).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <cmath>
#include <numeric>

#include "matcher/detail/angles.h"
#include "matcher/detail/compatibility.h"
#include "matcher/detail/local_similarity.h"

namespace tunggal::matcher::detail {
namespace {

// Index of the first largest of v[0..n) if that value is > 0, else -1; *best gets the value.
int first_best_scalar(const float* v, int n, float* best) {
  float b = 0.0f;
  int arg = -1;
  for (int j = 0; j < n; ++j) {
    const bool better = v[j] > b;
    b = better ? v[j] : b;
    arg = better ? j : arg;
  }
  *best = b;
  return arg;
}

// The same with AVX-512: the maximum over 16-float blocks, then the first block lane equal to it.
__attribute__((target("avx512f"))) int first_best_avx512(const float* v, int n, float* best) {
  __m512 m = _mm512_setzero_ps();
  for (int j = 0; j < n; j += 16) {
    const __mmask16 k = n - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - j)) - 1);
    m = _mm512_max_ps(m, _mm512_maskz_loadu_ps(k, v + j));
  }
  const float b = _mm512_reduce_max_ps(m);
  *best = b;
  if (!(b > 0.0f)) return -1;
  const __m512 bb = _mm512_set1_ps(b);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 k = n - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - j)) - 1);
    const unsigned eq = _mm512_mask_cmp_ps_mask(k, _mm512_maskz_loadu_ps(k, v + j), bb, _CMP_EQ_OQ);
    if (eq) return j + std::countr_zero(eq);
  }
  return -1;  // not reached
}

using FirstBest = int (*)(const float*, int, float*);
FirstBest first_best() {
  static const FirstBest f = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? first_best_avx512 : first_best_scalar;
  }();
  return f;
}

// The LSS-R relaxation (eq. 24), nrel times: λ_t <- wR λ_t + (1-wR) Σ_k ρ(t,k) λ_k / (n-1) for
// t < n. acc[t] sums in k order; ρ is symmetric, so rows k of ρ give every t its own accumulator
// and t vectorises without reordering any sum: both kernels give the same λ bit for bit.
// lam and next hold `stride` floats; the result is left in lam.
void relax_scalar(const float* rho, int n, int stride, int iterations, float w_r, float* lam, float* next) {
  const float norm = n > 1 ? 1.0f / float(n - 1) : 0.0f;
  for (int it = 0; it < iterations; ++it) {
    for (int t = 0; t < n; ++t) {
      float acc = 0.0f;
      for (int k = 0; k < n; ++k) acc += rho[std::size_t(k) * stride + t] * lam[k];  // ρ(t,t) == 0
      next[t] = w_r * lam[t] + (1.0f - w_r) * acc * norm;
    }
    std::copy(next, next + n, lam);
  }
}

// 16 pairs per register; the accumulators stay in registers across the k loop.
// fp-contract=off: a fused multiply-add would round differently from the scalar kernel.
__attribute__((target("avx512f"), optimize("fp-contract=off"))) void relax_avx512(
    const float* rho, int n, int stride, int iterations, float w_r, float* lam, float* next) {
  const float norm = n > 1 ? 1.0f / float(n - 1) : 0.0f;
  const __m512 wr = _mm512_set1_ps(w_r), wr1 = _mm512_set1_ps(1.0f - w_r), nv = _mm512_set1_ps(norm);
  for (int it = 0; it < iterations; ++it) {
    for (int t0 = 0; t0 < n; t0 += 16) {
      __m512 acc = _mm512_setzero_ps();
      for (int k = 0; k < n; ++k)
        acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_loadu_ps(rho + std::size_t(k) * stride + t0),
                                               _mm512_set1_ps(lam[k])));
      const __m512 l = _mm512_loadu_ps(lam + t0);
      _mm512_storeu_ps(next + t0, _mm512_add_ps(_mm512_mul_ps(wr, l), _mm512_mul_ps(_mm512_mul_ps(wr1, acc), nv)));
    }
    std::copy(next, next + n, lam);
  }
}

using Relax = void (*)(const float*, int, int, int, float, float*, float*);
Relax relax() {
  static const Relax f = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? relax_avx512 : relax_scalar;
  }();
  return f;
}

}  // namespace

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
  const auto rescan = [&](int i) {
    const float* row = &gamma[std::size_t(i) * nb];
    float best = 0.0f;  // only Γ > 0 is ever selected
    int arg = -1;
    for (int j = 0; j < nb; ++j) {
      const float g = row[j];
      const bool better = g > best && !used_b[j];
      best = better ? g : best;
      arg = better ? j : arg;
    }
    row_max[i] = arg < 0 ? -1.0f : best;
    row_arg[i] = arg;
  };
  const FirstBest best_of = portable_kernels() ? first_best_scalar : first_best();
  for (int i = 0; i < na; ++i) {
    float best;
    row_arg[i] = best_of(&gamma[std::size_t(i) * nb], nb, &best);
    row_max[i] = row_arg[i] < 0 ? -1.0f : best;
  }
  struct Sel {
    int a, b;
    float l0;
  };
  thread_local std::vector<Sel> sel;
  sel.clear();
  while (static_cast<int>(sel.size()) < n_sel) {
    float bm;
    const int bi = best_of(row_max.data(), na, &bm);
    if (bi < 0) break;  // no positive entry left in a free row and column
    const int j = row_arg[bi];
    if (used_b[j]) {
      rescan(bi);
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
  lam.resize(stride);
  next.resize(stride);
  for (int t = 0; t < nr; ++t) lam[t] = sel[t].l0;
  (portable_kernels() ? relax_scalar : relax())(rho.data(), nr, stride, opt.n_rel, opt.w_r, lam.data(), next.data());

  // 3. Efficiency-ranked selection of nP pairs, global score.
  thread_local std::vector<int> idx;
  idx.resize(nr);
  std::iota(idx.begin(), idx.end(), 0);
  thread_local std::vector<float> eff;
  eff.resize(nr);
  for (int t = 0; t < nr; ++t) eff[t] = lam[t] / sel[t].l0;
  // Only the first nP of the order are used, in order.
  const int take = std::min(np, nr);
  std::partial_sort(idx.begin(), idx.begin() + take, idx.end(),
                    [&](int x, int y) { return eff[x] > eff[y] || (eff[x] == eff[y] && x < y); });
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
