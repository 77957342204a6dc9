#pragma once
// Snapshot layout: <dir>/MANIFEST (text: format version, options, shard count, covered store
// sequence) and one binary file per shard, shard-<i>.bin, each starting with this header.
#include <cstdint>
#include <string>

#include "index/detail/binary_io.h"

namespace tunggal::index::detail {

inline constexpr const char* kManifestHeader = "tunggal-vector-index 1";
inline constexpr std::uint32_t kShardMagic = 0x58494754;  // "TGIX"
inline constexpr std::uint32_t kShardFormatVersion = 1;

// kHashSq8: hash + SQ8 codes of the power-of-two-padded rotation; kHashSq8Compact: the same over
// the compact padding's two-window rotation (index/detail/random_rotation.h).
enum class ShardFormat : std::uint32_t { kFlat = 1, kIvfSq8 = 2, kHashSq8 = 3, kHashSq8Compact = 4 };

inline void write_shard_header(BinaryWriter& w, ShardFormat format, int dim) {
  w.pod(kShardMagic);
  w.pod(kShardFormatVersion);
  w.pod(static_cast<std::uint32_t>(format));
  w.pod(static_cast<std::int32_t>(dim));
}

}  // namespace tunggal::index::detail
