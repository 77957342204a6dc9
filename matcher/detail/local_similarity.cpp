// Bit-based local similarity (Cappelli et al. 2010, Sect. 4.3): for cylinders a, b restricted to
// the cells valid in both (c_{a|b} = c_a AND mask_a AND mask_b, eq. 13-14),
//   λ(a,b) = 1 - ||c_{a|b} XOR c_{b|a}|| / (||c_{a|b}|| + ||c_{b|a}||),
// where ||v|| = sqrt(popcount(v)). The three popcounts over 1536 bits are the hot loop of 1:1
// matching; the AVX-512 VPOPCNTDQ kernel does a cylinder pair in three 512-bit steps. Kernels are
// compiled per target with __attribute__((target)) and picked once at run time.
#include "matcher/detail/local_similarity.h"

// GCC 12 reports false -Wuninitialized inside its own AVX-512 headers (_mm512_reduce_add_epi64).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>

#include "matcher/detail/angles.h"

namespace tunggal::matcher::detail {
namespace {

constexpr int kW = PreparedTemplate::kCylWords;
constexpr int kM = PreparedTemplate::kMaskWords;

struct Counts {
  int a, b, x;
};

Counts counts_scalar(const std::uint64_t* ca, const std::uint64_t* cb, const std::uint64_t* m) {
  Counts r{0, 0, 0};
  for (int w = 0; w < kW; ++w) {
    const std::uint64_t x = ca[w] & m[w % kM], y = cb[w] & m[w % kM];
    r.a += std::popcount(x);
    r.b += std::popcount(y);
    r.x += std::popcount(x ^ y);
  }
  return r;
}

__attribute__((target("avx2,popcnt"))) Counts counts_avx2(const std::uint64_t* ca, const std::uint64_t* cb,
                                                          const std::uint64_t* m) {
  Counts r{0, 0, 0};
  for (int w = 0; w < kW; ++w) {
    const std::uint64_t x = ca[w] & m[w % kM], y = cb[w] & m[w % kM];
    r.a += static_cast<int>(_mm_popcnt_u64(x));
    r.b += static_cast<int>(_mm_popcnt_u64(y));
    r.x += static_cast<int>(_mm_popcnt_u64(x ^ y));
  }
  return r;
}

__attribute__((target("avx512f,avx512vpopcntdq"))) Counts counts_avx512(const std::uint64_t* ca,
                                                                         const std::uint64_t* cb,
                                                                         const std::uint64_t* m) {
  // 24 words = 3 x 512 bits; every 512-bit lane holds two 4-word sections, so the 4-word spatial
  // mask is broadcast twice.
  const __m512i mm = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(m)));
  __m512i sa = _mm512_setzero_si512(), sb = sa, sx = sa;
  for (int s = 0; s < 3; ++s) {
    const __m512i x = _mm512_and_si512(_mm512_loadu_si512(ca + 8 * s), mm);
    const __m512i y = _mm512_and_si512(_mm512_loadu_si512(cb + 8 * s), mm);
    sa = _mm512_add_epi64(sa, _mm512_popcnt_epi64(x));
    sb = _mm512_add_epi64(sb, _mm512_popcnt_epi64(y));
    sx = _mm512_add_epi64(sx, _mm512_popcnt_epi64(_mm512_xor_si512(x, y)));
  }
  return {static_cast<int>(_mm512_reduce_add_epi64(sa)), static_cast<int>(_mm512_reduce_add_epi64(sb)),
          static_cast<int>(_mm512_reduce_add_epi64(sx))};
}

// One row of Γ at a time with AVX-512, eight columns per step. The row cylinder's 1536 bits stay
// in three registers; per column the kernel computes the common spatial mask and four popcounts
// (cells in common, ||c_a|b||, ||c_b|a||, ||XOR||) as one vector of 64-bit lanes with the four
// counts in 16-bit fields (each count is at most 1536). The lane sums of eight such vectors come
// out of one transposing add tree (21 shuffles and adds instead of eight horizontal reductions),
// and λ is computed for the eight columns at once: vsqrtps on the exact integer counts gives the
// same floats as sqrtf, and the same operations in the same order give the same λ bit for bit as
// the one-column kernels. Columns below minME (or outside δθ) are left at 0 without a branch.
__attribute__((target("avx512f,avx512vl,avx512dq,avx512vpopcntdq,popcnt"))) void row_avx512(
    const std::uint64_t* ca, const std::uint64_t* ma, const std::uint64_t* bits_b, const std::uint64_t* masks_b,
    int nb, const std::uint8_t* allowed, int min_me, float* out) {
  const __m512i a0 = _mm512_loadu_si512(ca), a1 = _mm512_loadu_si512(ca + 8), a2 = _mm512_loadu_si512(ca + 16);
  const __m512i mav = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ma)));
  const __m512i ones_a = _mm512_ternarylogic_epi64(a0, a1, a2, 0x96);
  const __m512i twos_a = _mm512_ternarylogic_epi64(a0, a1, a2, 0xE8);
  const __m512i field = _mm512_set1_epi64(0xffff);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256i min_me2 = _mm256_set1_epi32(2 * min_me);  // the broadcast mask counts every cell twice
  for (int j0 = 0; j0 < nb; j0 += 8) {
    const int cnt = std::min(8, nb - j0);
    __m512i p[8];
    for (int c = 0; c < 8; ++c) {
      const int j = j0 + std::min(c, cnt - 1);  // a short last step repeats its last column
      const __m512i mm = _mm512_and_si512(
          mav, _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(masks_b + 4 * j))));
      const std::uint64_t* cb = bits_b + std::size_t(kW) * j;
      const __m512i b0 = _mm512_loadu_si512(cb), b1 = _mm512_loadu_si512(cb + 8), b2 = _mm512_loadu_si512(cb + 16);
      // Carry-save: popcount(u0) + popcount(u1) + popcount(u2) = popcount(ones) + 2 popcount(twos)
      // with ones = u0 ^ u1 ^ u2 and twos = majority(u0, u1, u2); both commute with AND mm.
      const __m512i ones_b = _mm512_ternarylogic_epi64(b0, b1, b2, 0x96);
      const __m512i twos_b = _mm512_ternarylogic_epi64(b0, b1, b2, 0xE8);
      const __m512i d0 = _mm512_xor_si512(a0, b0), d1 = _mm512_xor_si512(a1, b1), d2 = _mm512_xor_si512(a2, b2);
      const __m512i ones_d = _mm512_xor_si512(ones_a, ones_b);
      const __m512i twos_d = _mm512_ternarylogic_epi64(d0, d1, d2, 0xE8);
      const __m512i sa = _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(ones_a, mm)),
                                          _mm512_slli_epi64(_mm512_popcnt_epi64(_mm512_and_si512(twos_a, mm)), 1));
      const __m512i sb = _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(ones_b, mm)),
                                          _mm512_slli_epi64(_mm512_popcnt_epi64(_mm512_and_si512(twos_b, mm)), 1));
      const __m512i sx = _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(ones_d, mm)),
                                          _mm512_slli_epi64(_mm512_popcnt_epi64(_mm512_and_si512(twos_d, mm)), 1));
      p[c] = _mm512_add_epi64(_mm512_add_epi64(sa, _mm512_slli_epi64(sb, 16)),
                              _mm512_add_epi64(_mm512_slli_epi64(sx, 32),
                                               _mm512_slli_epi64(_mm512_popcnt_epi64(mm), 48)));
    }
    // Lane c of r = sum of the lanes of p[c].
    __m512i t[4];
    for (int q = 0; q < 4; ++q)
      t[q] = _mm512_add_epi64(_mm512_unpacklo_epi64(p[2 * q], p[2 * q + 1]),
                              _mm512_unpackhi_epi64(p[2 * q], p[2 * q + 1]));
    const __m512i u0 = _mm512_add_epi64(_mm512_shuffle_i64x2(t[0], t[1], 0x88), _mm512_shuffle_i64x2(t[0], t[1], 0xDD));
    const __m512i u1 = _mm512_add_epi64(_mm512_shuffle_i64x2(t[2], t[3], 0x88), _mm512_shuffle_i64x2(t[2], t[3], 0xDD));
    const __m512i r = _mm512_add_epi64(_mm512_shuffle_i64x2(u0, u1, 0x88), _mm512_shuffle_i64x2(u0, u1, 0xDD));
    const __m256i na = _mm512_cvtepi64_epi32(_mm512_and_si512(r, field));
    const __m256i nbv = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srli_epi64(r, 16), field));
    const __m256i nx = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srli_epi64(r, 32), field));
    const __m256i common2 = _mm512_cvtepi64_epi32(_mm512_srli_epi64(r, 48));
    const __m256 ra = _mm256_sqrt_ps(_mm256_cvtepi32_ps(na)), rb = _mm256_sqrt_ps(_mm256_cvtepi32_ps(nbv));
    const __m256 rx = _mm256_sqrt_ps(_mm256_cvtepi32_ps(nx));
    const __m256 lambda = _mm256_sub_ps(one, _mm256_div_ps(rx, _mm256_add_ps(ra, rb)));
    __mmask8 keep = _mm256_cmpge_epi32_mask(common2, min_me2) &
                    _mm256_cmpgt_epi32_mask(_mm256_add_epi32(na, nbv), _mm256_setzero_si256()) &
                    static_cast<__mmask8>((1u << cnt) - 1);
    if (allowed)
      for (int c = 0; c < cnt; ++c)
        if (!allowed[j0 + c]) keep = static_cast<__mmask8>(keep & ~(1u << c));
    _mm256_mask_storeu_ps(out + j0, keep, lambda);
  }
}

using CountsFn = Counts (*)(const std::uint64_t*, const std::uint64_t*, const std::uint64_t*);

struct Kernel {
  CountsFn fn;
  const char* name;
  bool row_avx512 = false;
};

Kernel pick_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
    return {counts_avx512, "avx512-vpopcntdq",
            __builtin_cpu_supports("avx512vl") != 0 && __builtin_cpu_supports("avx512dq") != 0};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return {counts_avx2, "avx2"};
  return {counts_scalar, "scalar"};
}

const Kernel& kernel() {
  static const Kernel k = pick_kernel();
  return k;
}

}  // namespace

std::atomic<bool> g_portable{false};

const char* local_similarity_kernel() { return portable_kernels() ? "scalar" : kernel().name; }
void set_portable_kernels(bool on) { g_portable.store(on, std::memory_order_relaxed); }
bool portable_kernels() { return g_portable.load(std::memory_order_relaxed); }

void local_similarity_matrix(const PreparedTemplate& a, const PreparedTemplate& b,
                             const MatcherOptions& opt, std::vector<float>& gamma) {
  const int na = a.cylinder_count(), nb = b.cylinder_count();
  gamma.assign(std::size_t(na) * nb, 0.0f);
  const bool portable = portable_kernels();
  const CountsFn fn = portable ? counts_scalar : kernel().fn;
  // minME counts spatial cells valid in both cylinders; 208 cells of 16x16 lie in the circle.
  static const int kCellsInCircle = [] {
    int c = 0;
    for (int i = 0; i < PreparedTemplate::kNs; ++i)
      for (int j = 0; j < PreparedTemplate::kNs; ++j) {
        const float u = i + 0.5f - PreparedTemplate::kNs / 2.0f, v = j + 0.5f - PreparedTemplate::kNs / 2.0f;
        c += u * u + v * v <= (PreparedTemplate::kNs / 2.0f) * (PreparedTemplate::kNs / 2.0f);
      }
    return c;
  }();
  const int min_me = static_cast<int>(std::ceil(opt.min_matchable_cells * kCellsInCircle));
  const auto am = a.minutiae();
  const auto bm = b.minutiae();
  static const std::array<float, kW * 64 + 1> sqrt_table = [] {
    std::array<float, kW * 64 + 1> t{};
    for (std::size_t k = 0; k < t.size(); ++k) t[k] = std::sqrt(float(k));
    return t;
  }();
  // δθ >= π admits every pair: skip the per-pair direction test.
  const bool check_direction = opt.max_direction_diff < kPi;
  thread_local std::vector<std::uint8_t> allowed;
  const bool use_row = kernel().row_avx512 && !portable;
  for (int i = 0; i < na; ++i) {
    const float ta = am[a.cylinder_minutia(i)].angle;
    const std::uint64_t* ma = a.cylinder_mask(i);
    const std::uint64_t* ca = a.cylinder_bits(i);
    if (check_direction) {
      allowed.resize(nb);
      for (int j = 0; j < nb; ++j)
        allowed[j] = std::fabs(dphi(ta, bm[b.cylinder_minutia(j)].angle)) <= opt.max_direction_diff;
    }
    float* row = &gamma[std::size_t(i) * nb];
    if (use_row && nb > 0) {
      row_avx512(ca, ma, b.cylinder_bits(0), b.cylinder_mask(0), nb, check_direction ? allowed.data() : nullptr,
                 min_me, row);
      continue;
    }
    for (int j = 0; j < nb; ++j) {
      if (check_direction && !allowed[j]) continue;
      const std::uint64_t* mb = b.cylinder_mask(j);
      alignas(32) std::uint64_t m[kM];
      int common = 0;
      for (int w = 0; w < kM; ++w) {
        m[w] = ma[w] & mb[w];
        common += std::popcount(m[w]);
      }
      if (common < min_me) continue;
      const Counts c = fn(ca, b.cylinder_bits(j), m);
      if (c.a + c.b == 0) continue;
      row[j] = 1.0f - sqrt_table[c.x] / (sqrt_table[c.a] + sqrt_table[c.b]);
    }
  }
}

}  // namespace tunggal::matcher::detail
