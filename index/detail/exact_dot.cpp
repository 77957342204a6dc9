#include "index/detail/exact_dot.h"

#include <cmath>

// GCC 12's AVX-512 reduce intrinsics read their own _mm256_undefined_*() values: the warnings
// point into the system header, at every use.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

namespace tunggal::index::detail {
namespace {

__attribute__((target("avx512f"))) DotNorm dot_avx512(const float* q, const float* v, std::size_t dim) {
  __m512 d0 = _mm512_setzero_ps(), d1 = d0, n0 = d0, n1 = d0;
  std::size_t j = 0;
  for (; j + 32 <= dim; j += 32) {
    const __m512 a = _mm512_loadu_ps(v + j), b = _mm512_loadu_ps(v + j + 16);
    d0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j), a, d0);
    d1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j + 16), b, d1);
    n0 = _mm512_fmadd_ps(a, a, n0);
    n1 = _mm512_fmadd_ps(b, b, n1);
  }
  for (; j < dim; j += 16) {  // the tail, masked: no read past dim
    const __mmask16 m = dim - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (dim - j)) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(m, v + j);
    d0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + j), a, d0);
    n0 = _mm512_fmadd_ps(a, a, n0);
  }
  return {_mm512_reduce_add_ps(_mm512_add_ps(d0, d1)), _mm512_reduce_add_ps(_mm512_add_ps(n0, n1))};
}

__attribute__((target("avx2,fma"))) float hsum256(__m256 x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) DotNorm dot_avx2(const float* q, const float* v, std::size_t dim) {
  __m256 d0 = _mm256_setzero_ps(), d1 = d0, n0 = d0, n1 = d0;
  std::size_t j = 0;
  for (; j + 16 <= dim; j += 16) {
    const __m256 a = _mm256_loadu_ps(v + j), b = _mm256_loadu_ps(v + j + 8);
    d0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), a, d0);
    d1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 8), b, d1);
    n0 = _mm256_fmadd_ps(a, a, n0);
    n1 = _mm256_fmadd_ps(b, b, n1);
  }
  DotNorm r{hsum256(_mm256_add_ps(d0, d1)), hsum256(_mm256_add_ps(n0, n1))};
  for (; j < dim; ++j) {
    r.dot += q[j] * v[j];
    r.norm2 += v[j] * v[j];
  }
  return r;
}

using DotFn = DotNorm (*)(const float*, const float*, std::size_t);

DotFn pick() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return dot_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dot_avx2;
  return dot_and_norm_portable;
}

const DotFn kDot = pick();

}  // namespace

DotNorm dot_and_norm_portable(const float* q, const float* v, std::size_t dim) {
  double d = 0, n2 = 0;
  for (std::size_t j = 0; j < dim; ++j) {
    d += static_cast<double>(q[j]) * v[j];
    n2 += static_cast<double>(v[j]) * v[j];
  }
  return {static_cast<float>(d), static_cast<float>(n2)};
}

DotNorm dot_and_norm(const float* unit_query, const float* v, std::size_t dim) { return kDot(unit_query, v, dim); }

const char* dot_kernel_name() { return kDot == dot_avx512 ? "avx512" : kDot == dot_avx2 ? "avx2" : "portable"; }

float cosine_to_unit(const float* unit_query, const float* v, std::size_t dim) {
  const DotNorm r = dot_and_norm(unit_query, v, dim);
  return r.norm2 > 0 ? r.dot / std::sqrt(r.norm2) : 0.0f;
}

}  // namespace tunggal::index::detail

#pragma GCC diagnostic pop
