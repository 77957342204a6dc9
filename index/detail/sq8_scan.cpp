#include "index/detail/sq8_scan.h"

// GCC 12's AVX-512 extract intrinsics pass _mm256_undefined_*() and trip -Wmaybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>

namespace tunggal::index::detail {
namespace {

void scan_portable(const std::uint8_t* codes, std::size_t n, int dim_pad, const std::int8_t* q, std::int32_t* raw) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* c = codes + i * dim_pad;
    std::int32_t s = 0;
    for (int j = 0; j < dim_pad; ++j) s += static_cast<std::int32_t>(c[j]) * q[j];
    raw[i] = s;
  }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline std::int32_t hsum(__m512i v) {
  const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
  __m128i x = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1));
  return _mm_cvtsi128_si32(x);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void scan_vnni(const std::uint8_t* codes, std::size_t n, int dim_pad,
                                                                      const std::int8_t* q, std::int32_t* raw) {
  const int blocks = dim_pad / 64;
  std::size_t i = 0;
  // Four codes at a time: independent accumulators hide VPDPBUSD latency and the reductions.
  for (; i + 4 <= n; i += 4) {
    const std::uint8_t* c = codes + i * dim_pad;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int b = 0; b < blocks; ++b) {
      const __m512i qv = _mm512_loadu_si512(q + b * 64);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(c + b * 64), qv);
      a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(c + dim_pad + b * 64), qv);
      a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(c + 2 * dim_pad + b * 64), qv);
      a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(c + 3 * dim_pad + b * 64), qv);
    }
    raw[i] = hsum(a0);
    raw[i + 1] = hsum(a1);
    raw[i + 2] = hsum(a2);
    raw[i + 3] = hsum(a3);
  }
  for (; i < n; ++i) {
    const std::uint8_t* c = codes + i * dim_pad;
    __m512i a = _mm512_setzero_si512();
    for (int b = 0; b < blocks; ++b) a = _mm512_dpbusd_epi32(a, _mm512_loadu_si512(c + b * 64), _mm512_loadu_si512(q + b * 64));
    raw[i] = hsum(a);
  }
}

using ScanFn = void (*)(const std::uint8_t*, std::size_t, int, const std::int8_t*, std::int32_t*);

bool have_vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

ScanFn pick() { return have_vnni() ? scan_vnni : scan_portable; }

const ScanFn kScan = pick();

int8_t clamp_round(float v) { return static_cast<std::int8_t>(std::clamp(std::lround(v), -127L, 127L)); }

}  // namespace

void scan_codes(const std::uint8_t* codes, std::size_t n, int dim_pad, const std::int8_t* query, std::int32_t* raw) {
  kScan(codes, n, dim_pad, query, raw);
}

const char* scan_kernel_name() { return kScan == scan_vnni ? "avx512-vnni" : "portable"; }

void quantise_query(std::span<const float> x, int dim_pad, float code_scale, QuantisedQuery& out) {
  float m = 0;
  for (float v : x) m = std::max(m, std::abs(v));
  const float s = m > 0 ? 127.0f / m : 1.0f;
  out.q.assign(dim_pad, 0);
  std::int32_t sum = 0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    out.q[j] = clamp_round(x[j] * s);
    sum += out.q[j];
  }
  out.bias = 128 * sum;
  out.inv_scale = 1.0f / (s * code_scale);
}

void encode(std::span<const float> x, int dim_pad, float code_scale, std::uint8_t* code) {
  std::size_t j = 0;
  for (; j < x.size(); ++j) code[j] = static_cast<std::uint8_t>(clamp_round(x[j] * code_scale) + 128);
  for (; j < static_cast<std::size_t>(dim_pad); ++j) code[j] = 128;
}

void decode(const std::uint8_t* code, int dim, float code_scale, std::span<float> out) {
  const float inv = 1.0f / code_scale;
  for (int j = 0; j < dim; ++j) out[j] = (static_cast<int>(code[j]) - 128) * inv;
}

}  // namespace tunggal::index::detail
