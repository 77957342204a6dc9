// ρ(t,k) = Z(d1, μ1, τ1) · Z(d2, μ2, τ2) · Z(d3, μ3, τ3), with Z the sigmoid of eq. 23 and
//   d1 = | |a_t a_k| - |b_t b_k| |                       (distances),
//   d2 = | dφ(dφ(θ_at, θ_ak), dφ(θ_bt, θ_bk)) |          (relative directions),
//   d3 = | dφ(dR(a_t, a_k), dR(b_t, b_k)) |,  dR(m, n) = dφ(θ_m, atan2(y_n - y_m, x_n - x_m))
// (radial angles), Cappelli, Ferrara, Maltoni, TPAMI 2010, eq. 25.
//
// With nR <= 20 pairs this is at most 190 values per comparison, but it used to cost more than the
// local-similarity matrix because of the scalar expf/atan2f calls. The loop below is branch-free
// and calls nothing, so GCC vectorises it (16 lanes under AVX-512; target_clones picks the ISA at
// load time). exp and atan2 are approximations: relative error of exp < 2e-7 on the range used,
// atan2 within 1e-5 rad — far below the sigmoids' widths (σ-like scale 1/τ: 0.6 px, 0.03 rad).
#include "matcher/detail/compatibility.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "matcher/detail/angles.h"

namespace tunggal::matcher::detail {
namespace {

inline float fast_exp(float x) {
  x = std::clamp(x, -87.0f, 87.0f);
  const float n = std::floor(x * 1.44269504f + 0.5f);
  const float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;  // Cody-Waite ln 2 split
  const float p =
      1.0f + r * (1.0f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f + r * 0.0013888889f)))));
  const float scale = std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
  return p * scale;
}

inline float fast_sigmoid(float v, float mu, float tau) { return 1.0f / (1.0f + fast_exp(-tau * (v - mu))); }

// atan2 by octant reduction and a degree-7 odd minimax polynomial on [0, 1].
inline float fast_atan2(float y, float x) {
  const float ax = std::fabs(x), ay = std::fabs(y);
  const float mx = std::max(ax, ay), mn = std::min(ax, ay);
  const float a = mn / std::max(mx, 1e-30f);
  const float s = a * a;
  float r = ((-0.0464964749f * s + 0.15931422f) * s - 0.327622764f) * s * a + a;
  r = ay > ax ? 1.57079637f - r : r;
  r = x < 0.0f ? 3.14159274f - r : r;
  return y < 0.0f ? -r : r;
}

// dφ folded into [-π, π) without branches.
inline float fold(float d) { return d - kTwoPi * std::floor((d + kPi) * (1.0f / kTwoPi)); }

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) void compatibility_matrix(const SelectedPairs& p,
                                                                                        const MatcherOptions& o,
                                                                                        float* rho) {
  const int n = p.n;
  const float* __restrict ax = p.ax;
  const float* __restrict ay = p.ay;
  const float* __restrict aa = p.aa;
  const float* __restrict bx = p.bx;
  const float* __restrict by = p.by;
  const float* __restrict ba = p.ba;
  const float m1 = o.mu_rho1, t1 = o.tau_rho1, m2 = o.mu_rho2, t2 = o.tau_rho2, m3 = o.mu_rho3, t3 = o.tau_rho3;
  const int stride = p.stride;
  for (int t = 0; t < n; ++t) {
    const float atx = ax[t], aty = ay[t], ata = aa[t], btx = bx[t], bty = by[t], bta = ba[t];
    float* __restrict row = rho + std::size_t(t) * stride;
    // Only k > t is needed (the mirror below fills k < t), in whole blocks of kCompatibilityLanes
    // starting at t + 1: no scalar remainder loop, which with nR ~ 20 used to cost as much as the
    // vector part, and about half the blocks of full rows. A block that would run past the padded
    // row is moved back to end at `stride`; the k <= t it then also covers are overwritten below.
    for (int k0 = t + 1; k0 < n; k0 += kCompatibilityLanes) {
      const int kb = std::min(k0, stride - kCompatibilityLanes);
#pragma GCC ivdep
      for (int l = 0; l < kCompatibilityLanes; ++l) {
        const int k = kb + l;
        const float dxa = ax[k] - atx, dya = ay[k] - aty, dxb = bx[k] - btx, dyb = by[k] - bty;
        const float d1 = std::fabs(std::sqrt(dxa * dxa + dya * dya) - std::sqrt(dxb * dxb + dyb * dyb));
        const float d2 = std::fabs(fold(fold(ata - aa[k]) - fold(bta - ba[k])));
        const float ra = fold(ata - fast_atan2(dya, dxa));
        const float rb = fold(bta - fast_atan2(dyb, dxb));
        const float d3 = std::fabs(fold(ra - rb));
        row[k] = fast_sigmoid(d1, m1, t1) * fast_sigmoid(d2, m2, t2) * fast_sigmoid(d3, m3, t3);
      }
    }
  }
  // Keep the t < k value on both sides (ρ is taken from the lower-index pair's point of view) and
  // zero the diagonal: a pair does not support itself.
  for (int t = 0; t < n; ++t) {
    rho[std::size_t(t) * stride + t] = 0.0f;
    for (int k = 0; k < t; ++k) rho[std::size_t(t) * stride + k] = rho[std::size_t(k) * stride + t];
  }
}

}  // namespace tunggal::matcher::detail
