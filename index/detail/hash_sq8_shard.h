#pragma once
// Compressed shard that needs no training: every vector is randomly rotated (random_rotation.h)
// and stored twice, compactly: its sign bits (SimHash, padded-dimension bits) and 8-bit codes of
// the rotated components under one fixed scale. A search
//   1. scans the sign bits of the WHOLE shard (XOR + VPOPCNTQ, 64 B per 512-d vector) and keeps
//      the `shortlist` rows of smallest Hamming distance,
//   2. re-scores them on the 8-bit codes (VPDPBUSD), keeps the best `rerank_depth`,
//   3. re-scores those exactly from the VectorSource (or keeps the 8-bit scores without one).
// Why not partitions (IVF): on embeddings without cluster structure a probe at cosine 0.5 from
// its mate is not in the mate's partition often enough (docs/index.md: 89% mate recall with 30%
// of the lists scanned), while the Hamming rank of the mate stays within a few hundred of a
// million (P(bit differs) = angle / pi: 1/3 for the mate at cosine 0.5 vs 1/2 for impostors).
//
// Memory per vector: padded_dim / 8 + padded_dim + 8 bytes (584 B at 512-d, 2,888 B for the ten
// finger codes' 2,560-d), in pages of 4096 rows so growth never leaves more than one partly empty
// page; removal swaps with the last row. padded_dim: random_rotation.h (compact padding for new
// shards; a shard saved with power-of-two padding, format kHashSq8, loads and grows as it was).
#include <memory>

#include "index/detail/binary_io.h"
#include "index/detail/random_rotation.h"
#include "index/detail/snapshot_format.h"
#include "index/detail/shard.h"
#include "index/vector_index.h"

namespace tunggal::index::detail {

struct HashParams {
  int shortlist_per_million = 1000;  // Hamming shortlist = this * shard size / 1e6, at least rerank_depth
  int rerank_depth = 64;
  std::uint64_t seed = 1234;
  int tasks = 2;                     // parallel scan tasks per search (the index's threads)
  const VectorSource* source = nullptr;
};

HashParams hash_params(const IndexOptions& o, const VectorSource* source, int threads);

std::unique_ptr<Shard> make_hash_sq8_shard(int dim, const HashParams& params, Padding padding = Padding::kCompact);
// `format`: kHashSq8 (power-of-two padding) or kHashSq8Compact, as the shard file's header says.
Expected<std::unique_ptr<Shard>> load_hash_sq8_shard(int dim, const HashParams& params, ShardFormat format,
                                                     BinaryReader& in);

}  // namespace tunggal::index::detail
