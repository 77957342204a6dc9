#pragma once
// The exact re-rank of the compressed shards' shortlists: cosine between a unit query and a full
// vector from the VectorSource (which need not be unit length). A double-precision scalar loop
// did this before; the compiler may not reorder a float reduction, so it ran one multiply-add per
// few cycles, ~30 us per probe at rerank depth 64 (docs/index.md). AVX-512 or AVX2+FMA chosen at
// run time, a portable loop otherwise; float accumulators in 16 (or 8) lanes are as accurate as
// FAISS's own inner products.
#include <cstddef>

namespace tunggal::index::detail {

struct DotNorm {
  float dot = 0;    // <unit_query, v>
  float norm2 = 0;  // <v, v>
};

DotNorm dot_and_norm(const float* unit_query, const float* v, std::size_t dim);
DotNorm dot_and_norm_portable(const float* unit_query, const float* v, std::size_t dim);  // the reference
const char* dot_kernel_name();  // "avx512", "avx2" or "portable"

// cos(query, v), 0 for a zero v.
float cosine_to_unit(const float* unit_query, const float* v, std::size_t dim);

}  // namespace tunggal::index::detail
