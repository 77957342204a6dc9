#include "index/detail/hamming_scan.h"

// GCC 12's AVX-512 intrinsics headers trip -Wmaybe-uninitialized on their own undefined values.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

namespace tunggal::index::detail {
namespace {

__attribute__((target("popcnt"))) std::size_t scan_popcnt(const std::uint64_t* blocked, std::size_t rows, int words,
                                                          const std::uint64_t* q, std::uint32_t thresh, std::uint32_t base,
                                                          HammingHit* out) {
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    std::uint32_t d = 0;
    for (int w = 0; w < words; ++w) d += static_cast<std::uint32_t>(__builtin_popcountll(blocked[blocked_at(r, w, words)] ^ q[w]));
    if (d < thresh) out[n++] = {d, base + static_cast<std::uint32_t>(r)};
  }
  return n;
}

// Appends the lanes of block b (8 distances in acc) that are below t and inside `rows`.
__attribute__((target("avx512f,avx512vpopcntdq"))) inline std::size_t emit(std::size_t b, __m512i acc, __m512i t, std::size_t rows,
                                                                          std::uint32_t base, HammingHit* out, std::size_t n) {
  __mmask8 m = _mm512_cmplt_epu64_mask(acc, t);
  if (b * kHashBlock + kHashBlock > rows) m &= static_cast<__mmask8>((1u << (rows - b * kHashBlock)) - 1);
  if (!m) return n;
  alignas(64) std::uint64_t d[8];
  _mm512_store_si512(d, acc);
  while (m) {
    const int lane = __builtin_ctz(m);
    m &= m - 1;
    out[n++] = {static_cast<std::uint32_t>(d[lane]), base + static_cast<std::uint32_t>(b * kHashBlock + lane)};
  }
  return n;
}

// Distances of the 8 rows of one block: W query words held in registers, W loads, no horizontal
// sums. Two accumulators halve the add chain.
template <int W>
__attribute__((target("avx512f,avx512vpopcntdq"))) inline __m512i block_distances(const std::uint64_t* p, const __m512i* qw) {
  __m512i a0 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p), qw[0]));
  __m512i a1 = _mm512_setzero_si512();
#pragma GCC unroll 8
  for (int w = 1; w < W; ++w) {
    const __m512i c = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p + w * 8), qw[w]));
    if (w % 2) a1 = _mm512_add_epi64(a1, c);
    else a0 = _mm512_add_epi64(a0, c);
  }
  return _mm512_add_epi64(a0, a1);
}

// W > 0: the word count is a compile-time constant (512-bit face hashes: 8, 256-bit finger codes: 4)
// and the query stays in registers; W == 0: any word count.
template <int W>
__attribute__((target("avx512f,avx512vpopcntdq"))) std::size_t scan_vpopcnt(const std::uint64_t* blocked, std::size_t rows,
                                                                           int words, const std::uint64_t* q, std::uint32_t thresh,
                                                                           std::uint32_t base, HammingHit* out) {
  std::size_t n = 0;
  const __m512i t = _mm512_set1_epi64(thresh);
  const std::size_t blocks = (rows + kHashBlock - 1) / kHashBlock;
  if constexpr (W > 0) {
    __m512i qw[W];
    for (int w = 0; w < W; ++w) qw[w] = _mm512_set1_epi64(static_cast<long long>(q[w]));
    for (std::size_t b = 0; b < blocks; ++b) n = emit(b, block_distances<W>(blocked + b * kHashBlock * W, qw), t, rows, base, out, n);
    return n;
  }
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::uint64_t* p = blocked + b * kHashBlock * words;
    __m512i acc = _mm512_setzero_si512();
    for (int w = 0; w < words; ++w) {
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p + w * 8),
                                                                       _mm512_set1_epi64(static_cast<long long>(q[w])))));
    }
    n = emit(b, acc, t, rows, base, out, n);
  }
  return n;
}

bool have_vpopcnt() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
}
const bool kVpopcnt = have_vpopcnt();

}  // namespace

std::size_t hamming_below(const std::uint64_t* blocked, std::size_t rows, int words, const std::uint64_t* query,
                          std::uint32_t thresh, std::uint32_t row_base, HammingHit* out) {
  if (!kVpopcnt) return scan_popcnt(blocked, rows, words, query, thresh, row_base, out);
  switch (words) {
    case 8: return scan_vpopcnt<8>(blocked, rows, words, query, thresh, row_base, out);
    case 4: return scan_vpopcnt<4>(blocked, rows, words, query, thresh, row_base, out);
    default: return scan_vpopcnt<0>(blocked, rows, words, query, thresh, row_base, out);
  }
}

const char* hamming_kernel_name() { return kVpopcnt ? "avx512-vpopcntdq" : "popcnt"; }

}  // namespace tunggal::index::detail
