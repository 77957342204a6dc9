#pragma once
// Compressed shard for large galleries: k-means partitions (inverted lists) over 8-bit codes,
// scanned with our own SIMD kernel (sq8_scan.h), and the shortlist of the best `rerank_depth`
// codes re-scored exactly from the VectorSource. Without a source, scores are the 8-bit
// approximations (error ~1e-3 in cosine; docs/index.md).
//
// Codes encode the vector itself, not its residual to a centroid, so retraining the partitions
// only moves codes between lists; nothing is re-encoded. Memory per vector: padded dimension
// bytes of code + 8 bytes of id (no id -> position map: remove and duplicate checks scan the id
// arrays, ~1 ms per million, which keeps the index under 600 B per 512-d vector).
#include <memory>

#include "index/detail/binary_io.h"
#include "index/detail/shard.h"
#include "index/vector_index.h"

namespace tunggal::index::detail {

struct IvfParams {
  int vectors_per_list = 1024;
  float probe_fraction = 0.02f;
  int rerank_depth = 64;
  int train_sample = 65'536;
  std::uint64_t seed = 1234;
  const VectorSource* source = nullptr;
};

IvfParams ivf_params(const IndexOptions& o, const VectorSource* source);

// Trains partitions and the code scale on a sample of `vectors` (unit rows), then adds them all.
std::unique_ptr<Shard> build_ivf_sq8_shard(int dim, const IvfParams& params, std::span<const std::uint64_t> ids,
                                           std::span<const float> vectors, int omp_threads);
Expected<std::unique_ptr<Shard>> load_ivf_sq8_shard(int dim, const IvfParams& params, BinaryReader& in);

}  // namespace tunggal::index::detail
