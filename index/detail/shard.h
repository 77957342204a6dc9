#pragma once
// One partition of a VectorIndex. Shards see only checked, unit-length input (the ShardedIndex
// validates once at the boundary) and are not thread-safe themselves: the ShardedIndex guards
// each with a shared_mutex (search is const and may run concurrently with other searches).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "index/detail/snapshot_format.h"

namespace tunggal::index::detail {

// Per-query top-k of one shard, best first, padded with id 0 / -inf.
struct ShardHits {
  std::vector<std::uint64_t> ids;
  std::vector<float> scores;
};

class Shard {
 public:
  virtual ~Shard() = default;
  // present[i] = ids[i] is in this shard
  virtual std::vector<bool> contains(std::span<const std::uint64_t> ids) const = 0;
  // ids are new to this shard; vectors are unit length.
  virtual void add(std::span<const std::uint64_t> ids, std::span<const float> unit_vectors) = 0;
  // every id is present
  virtual void remove(std::span<const std::uint64_t> ids) = 0;
  // queries: n x dim unit vectors; fills n x k hits. tasks: how many parallel TBB tasks the
  // shard may split the work into (FAISS itself always runs single-threaded inside them).
  virtual void search(std::span<const float> queries, int k, int tasks, ShardHits& out) const = 0;
  virtual std::uint64_t size() const = 0;
  virtual std::size_t memory_bytes() const = 0;
  virtual std::string describe() const = 0;
  // The shard file (common header, then the shard's own payload) into `out`: memory when the index
  // is captured for a snapshot (VectorIndex::capture), a file for save().
  virtual void write(BinaryWriter& out) const = 0;
  Status save(const std::filesystem::path& file) const {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    if (!f) return io_error("cannot create " + file.string());
    BinaryWriter w(f);
    write(w);
    f.flush();
    return w.ok() ? Status::ok() : io_error("cannot write " + file.string() + " (disk full?)");
  }
  // Every id with its vector (exact for flat; from the VectorSource, else decoded codes, for a
  // compressed shard): what a (re)training starts from.
  virtual void contents(std::vector<std::uint64_t>& ids, std::vector<float>& vectors) const = 0;
  // Size at the last training of the partitions; 0 for shards that need none.
  virtual std::uint64_t trained_size() const { return 0; }
  virtual ShardFormat format() const = 0;
};

}  // namespace tunggal::index::detail
