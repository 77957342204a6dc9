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

  // 1. LSS pre-selection: a greedy walk over Γ in decreasing order accepts a pair when neither of
  // its minutiae is taken yet, until nR pairs. Keys pack (Γ bits, ~index) into one integer:
  // positive floats order like their bit patterns, and ~index puts the lower index first among
  // equal Γ. The walk rarely goes deep, so Γ is not sorted whole: a 256-bucket histogram finds a
  // cut leaving at least 6 nR entries above it; those are sorted and walked first (each ranks
  // above every entry below the cut), the rest only if the walk runs out.
  auto bucket = [](float g) { return static_cast<int>(g * 255.99f); };  // Γ in [0, 1]: 0..255
  // Four interleaved histograms: consecutive Γ entries often fall in the same bucket, and one
  // array would serialise on its own increments.
  std::array<std::array<int, 256>, 4> h4{};
  const int total = na * nb;
  {
    int i = 0;
    for (; i + 4 <= total; i += 4)
      for (int l = 0; l < 4; ++l)
        if (gamma[i + l] > 0.0f) ++h4[l][bucket(gamma[i + l])];
    for (; i < total; ++i)
      if (gamma[i] > 0.0f) ++h4[0][bucket(gamma[i])];
  }
  std::array<int, 256> hist{};
  for (int b = 0; b < 256; ++b) hist[b] = h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b];
  const int want = std::max(16, 6 * n_sel);
  int cut = 255;
  for (int acc = hist[255]; cut > 0 && acc < want;) acc += hist[--cut];
  thread_local std::vector<std::uint64_t> keys;
  keys.clear();
  // Low half: ~(row << 16 | column), which orders like ~index and decodes without a division.
  auto key = [&](int i, int j) {
    return (std::uint64_t{std::bit_cast<std::uint32_t>(gamma[std::size_t(i) * nb + j])} << 32) |
           std::uint32_t(~((std::uint32_t(i) << 16) | std::uint32_t(j)));
  };
  for (int i = 0; i < na; ++i)
    for (int j = 0; j < nb; ++j) {
      const float g = gamma[std::size_t(i) * nb + j];
      if (g > 0.0f && bucket(g) >= cut) keys.push_back(key(i, j));
    }
  thread_local std::vector<char> used_a, used_b;
  used_a.assign(na, 0);
  used_b.assign(nb, 0);
  struct Sel {
    int a, b;
    float l0;
  };
  thread_local std::vector<Sel> sel;
  sel.clear();
  const auto greedy = [&](auto first, auto last) {
    for (auto it = first; it != last && static_cast<int>(sel.size()) < n_sel; ++it) {
      const std::uint32_t rc = ~std::uint32_t(*it);
      const int i = static_cast<int>(rc >> 16), j = static_cast<int>(rc & 0xffff);
      if (used_a[i] || used_b[j]) continue;
      used_a[i] = used_b[j] = 1;
      sel.push_back({i, j, gamma[std::size_t(i) * nb + j]});
    }
  };
  std::sort(keys.begin(), keys.end(), std::greater<>());
  greedy(keys.begin(), keys.end());
  if (static_cast<int>(sel.size()) < n_sel && cut > 0) {
    // Below the cut, in rounds: drop the entries whose row or column is taken (the walk would skip
    // them), then sort only the next chunk.
    keys.clear();
    for (int i = 0; i < na; ++i) {
      if (used_a[i]) continue;
      for (int j = 0; j < nb; ++j) {
        const float g = gamma[std::size_t(i) * nb + j];
        if (!used_b[j] && g > 0.0f && bucket(g) < cut) keys.push_back(key(i, j));
      }
    }
    auto first = keys.begin(), last = keys.end();
    while (static_cast<int>(sel.size()) < n_sel && first != last) {
      last = std::remove_if(first, last, [&](std::uint64_t k) {
        const std::uint32_t rc = ~std::uint32_t(k);
        return used_a[rc >> 16] || used_b[rc & 0xffff];
      });
      const auto chunk = std::min<std::ptrdiff_t>(last - first, std::max(16, 4 * (n_sel - static_cast<int>(sel.size()))));
      const auto mid = first + chunk;
      if (mid != last) std::nth_element(first, mid, last, std::greater<>());
      std::sort(first, mid, std::greater<>());
      greedy(first, mid);
      first = mid;
    }
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
