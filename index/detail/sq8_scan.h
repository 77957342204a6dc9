#pragma once
// The compressed scan: unit vectors as 8-bit codes with one scale per shard, scored against an
// 8-bit query. Debian's FAISS is a generic x86-64 build whose SQ8 scan runs at about 1 GB/s; on
// CPUs with AVX-512 VNNI one VPDPBUSD multiplies-and-adds 64 code bytes, so the scan becomes
// memory-bound instead (docs/index.md). Chosen at run time; a portable loop otherwise.
//
// Layout: codes are stored biased (c + 128, as uint8) and padded to a multiple of 64 bytes with
// 128 (i.e. code 0); the query is int8 padded with 0. VPDPBUSD wants unsigned x signed, and the
// bias costs nothing: sum((c + 128) * q) = sum(c * q) + 128 * sum(q), a per-query constant.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tunggal::index::detail {

inline int padded_dimension(int dim) { return (dim + 63) / 64 * 64; }

// raw[i] = sum_j codes[i][j] * query[j] over n codes of `dim_pad` bytes.
void scan_codes(const std::uint8_t* codes, std::size_t n, int dim_pad, const std::int8_t* query, std::int32_t* raw);
const char* scan_kernel_name();  // "avx512-vnni" or "portable"

struct QuantisedQuery {
  std::vector<std::int8_t> q;  // dim_pad
  float inv_scale = 0;         // 1 / (query scale * code scale)
  std::int32_t bias = 0;       // 128 * sum(q)
  float score(std::int32_t raw) const { return static_cast<float>(raw - bias) * inv_scale; }
};

void quantise_query(std::span<const float> x, int dim_pad, float code_scale, QuantisedQuery& out);
void encode(std::span<const float> x, int dim_pad, float code_scale, std::uint8_t* code);
void decode(const std::uint8_t* code, int dim, float code_scale, std::span<float> out);

}  // namespace tunggal::index::detail
