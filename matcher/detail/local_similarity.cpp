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

#include <array>
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

// One row of Γ at a time with AVX-512: the row cylinder's 1536 bits stay in three registers, and
// per column only the column's bits, the 256-bit common mask and the three popcounts are computed.
// sqrt_table[k] = sqrt(k) for every possible popcount (0..1536) replaces three square roots.
__attribute__((target("avx512f,avx512vl,avx512vpopcntdq,popcnt"))) void row_avx512(
    const std::uint64_t* ca, const std::uint64_t* ma, const std::uint64_t* bits_b, const std::uint64_t* masks_b,
    int nb, const std::uint8_t* allowed, int min_me, const float* sqrt_table, float* out) {
  const __m512i a0 = _mm512_loadu_si512(ca), a1 = _mm512_loadu_si512(ca + 8), a2 = _mm512_loadu_si512(ca + 16);
  const __m256i mav = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ma));
  for (int j = 0; j < nb; ++j) {
    if (allowed && !allowed[j]) continue;
    const __m256i m = _mm256_and_si256(mav, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(masks_b + 4 * j)));
    const __m256i pc = _mm256_popcnt_epi64(m);
    const int common = static_cast<int>(_mm256_extract_epi64(pc, 0) + _mm256_extract_epi64(pc, 1) +
                                        _mm256_extract_epi64(pc, 2) + _mm256_extract_epi64(pc, 3));
    if (common < min_me) continue;
    const __m512i mm = _mm512_broadcast_i64x4(m);
    const std::uint64_t* cb = bits_b + std::size_t(kW) * j;
    const __m512i x0 = _mm512_and_si512(a0, mm), x1 = _mm512_and_si512(a1, mm), x2 = _mm512_and_si512(a2, mm);
    const __m512i y0 = _mm512_and_si512(_mm512_loadu_si512(cb), mm);
    const __m512i y1 = _mm512_and_si512(_mm512_loadu_si512(cb + 8), mm);
    const __m512i y2 = _mm512_and_si512(_mm512_loadu_si512(cb + 16), mm);
    const __m512i sa = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(x0), _mm512_popcnt_epi64(x1)),
                                        _mm512_popcnt_epi64(x2));
    const __m512i sb = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(y0), _mm512_popcnt_epi64(y1)),
                                        _mm512_popcnt_epi64(y2));
    const __m512i sx = _mm512_add_epi64(
        _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_xor_si512(x0, y0)), _mm512_popcnt_epi64(_mm512_xor_si512(x1, y1))),
        _mm512_popcnt_epi64(_mm512_xor_si512(x2, y2)));
    // One horizontal sum instead of three: each count is at most 1536 < 2^21, so the three fit
    // side by side in a 64-bit lane.
    const std::uint64_t packed = static_cast<std::uint64_t>(_mm512_reduce_add_epi64(
        _mm512_add_epi64(sa, _mm512_add_epi64(_mm512_slli_epi64(sb, 21), _mm512_slli_epi64(sx, 42)))));
    const int na_ = static_cast<int>(packed & 0x1fffff), nb_ = static_cast<int>((packed >> 21) & 0x1fffff);
    if (na_ + nb_ == 0) continue;
    const int nx = static_cast<int>(packed >> 42);
    out[j] = 1.0f - sqrt_table[nx] / (sqrt_table[na_] + sqrt_table[nb_]);
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
    return {counts_avx512, "avx512-vpopcntdq", __builtin_cpu_supports("avx512vl") != 0};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return {counts_avx2, "avx2"};
  return {counts_scalar, "scalar"};
}

const Kernel& kernel() {
  static const Kernel k = pick_kernel();
  return k;
}

}  // namespace

const char* local_similarity_kernel() { return kernel().name; }

void local_similarity_matrix(const PreparedTemplate& a, const PreparedTemplate& b,
                             const MatcherOptions& opt, std::vector<float>& gamma) {
  const int na = a.cylinder_count(), nb = b.cylinder_count();
  gamma.assign(std::size_t(na) * nb, 0.0f);
  const CountsFn fn = kernel().fn;
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
  const bool use_row = kernel().row_avx512;
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
                 min_me, sqrt_table.data(), row);
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
