#pragma once
// The first, whole-shard pass of the hash-sq8 shard: Hamming distances between a query's sign
// bits and every row's, keeping only rows closer than a threshold.
//
// Layout: rows in blocks of 8; within a block, word w of the 8 rows is contiguous (8 x uint64 =
// one 512-bit register). So XOR with the broadcast query word, VPOPCNTQ and an add accumulate 8
// distances at once with no horizontal reduction: ~3 instructions per row at 512 bits, against
// 64 FMA instructions per row for an fp32 dot product (docs/index.md). AVX-512 VPOPCNTDQ when
// present, POPCNT otherwise; chosen at run time.
#include <cstddef>
#include <cstdint>

namespace tunggal::index::detail {

inline constexpr int kHashBlock = 8;

// Position of (row, word) in a blocked array.
inline std::size_t blocked_at(std::size_t row, int word, int words) {
  return (row / kHashBlock) * kHashBlock * words + static_cast<std::size_t>(word) * kHashBlock + row % kHashBlock;
}

struct HammingHit {
  std::uint32_t dist;
  std::uint32_t row;
};

// Scans `rows` rows of blocked bits (rows padded to a multiple of 8 in storage); appends every row
// with distance < thresh to out as (distance, row_base + row) and returns how many. out must have
// room for `rows` hits.
std::size_t hamming_below(const std::uint64_t* blocked, std::size_t rows, int words, const std::uint64_t* query,
                          std::uint32_t thresh, std::uint32_t row_base, HammingHit* out);
const char* hamming_kernel_name();

}  // namespace tunggal::index::detail
