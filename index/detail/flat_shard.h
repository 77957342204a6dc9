#pragma once
// Exact shard: FAISS IndexFlatIP (BLAS sgemm for batches of >= 20 queries, a SIMD scan below)
// with our own id array, so removal is a swap with the last row instead of an O(n) compaction.
#include <memory>

#include "index/detail/binary_io.h"
#include "index/detail/shard.h"

namespace tunggal::index::detail {

std::unique_ptr<Shard> make_flat_shard(int dim);
// Reads the payload written by the flat shard's save() (after the common header).
Expected<std::unique_ptr<Shard>> load_flat_shard(int dim, BinaryReader& in);

}  // namespace tunggal::index::detail
