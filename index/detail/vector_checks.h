#pragma once
// The input rules of vector_index.h in one place: every public entry point checks its batch here,
// once, before anything is changed (FAISS-style precondition checks at the boundary, none inside
// the scan loops).
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace tunggal::index::detail {

// Checks n x dim floats (finite, not all zero) and writes a copy with every row scaled to unit
// length into `unit`. `what` names the batch in messages ("vector", "query").
Status normalised_copy(std::span<const float> rows, int dim, const char* what, std::vector<float>& unit);

// Ids must be non-zero and unique within the batch.
Status check_ids(std::span<const std::uint64_t> ids);

// splitmix64 finaliser: subject ids are often sequential, so shard by a mixed hash, not id % S.
inline std::uint64_t mix_id(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace tunggal::index::detail
