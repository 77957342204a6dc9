#include "index/detail/flat_shard.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <unordered_map>

#include <faiss/IndexFlat.h>
#include <tbb/parallel_for.h>

#include "index/detail/snapshot_format.h"

namespace tunggal::index::detail {
namespace {

class FlatShard final : public Shard {
 public:
  explicit FlatShard(int dim) : dim_(dim), index_(dim) {}

  std::vector<bool> contains(std::span<const std::uint64_t> ids) const override {
    std::vector<bool> present(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) present[i] = pos_.count(ids[i]) != 0;
    return present;
  }

  void contents(std::vector<std::uint64_t>& ids, std::vector<float>& vectors) const override {
    ids = ids_;
    vectors.assign(index_.get_xb(), index_.get_xb() + ids_.size() * static_cast<std::size_t>(dim_));
  }

  void add(std::span<const std::uint64_t> ids, std::span<const float> unit) override {
    index_.add(static_cast<faiss::Index::idx_t>(ids.size()), unit.data());
    for (std::uint64_t id : ids) {
      pos_.emplace(id, ids_.size());
      ids_.push_back(id);
    }
  }

  void remove(std::span<const std::uint64_t> ids) override {
    const std::size_t row_bytes = static_cast<std::size_t>(dim_) * sizeof(float);
    for (std::uint64_t id : ids) {
      auto it = pos_.find(id);
      const std::size_t p = it->second, last = ids_.size() - 1;
      pos_.erase(it);
      if (p != last) {
        std::memcpy(index_.codes.data() + p * row_bytes, index_.codes.data() + last * row_bytes, row_bytes);
        ids_[p] = ids_[last];
        pos_[ids_[p]] = p;
      }
      ids_.pop_back();
      index_.codes.resize(ids_.size() * row_bytes);
      index_.ntotal = static_cast<faiss::Index::idx_t>(ids_.size());
    }
  }

  // FAISS runs single-threaded inside our TBB tasks: a batch is split into chunks of at least
  // 20 queries (FAISS's BLAS threshold) searched side by side. Letting FAISS's OpenMP team and
  // OpenBLAS's pthreads share the cores instead was 13x slower on this 2-core machine under load
  // (docs/index.md).
  void search(std::span<const float> queries, int k, int tasks, ShardHits& out) const override {
    const std::size_t n = queries.size() / dim_;
    out.ids.assign(n * k, 0);
    out.scores.assign(n * k, -std::numeric_limits<float>::infinity());
    if (ids_.empty() || n == 0) return;
    const int kk = static_cast<int>(std::min<std::size_t>(k, ids_.size()));
    std::vector<float> d(n * kk);
    std::vector<faiss::Index::idx_t> labels(n * kk);
    const std::size_t chunks = std::clamp<std::size_t>(n / 20, 1, std::max(1, tasks));
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
      const std::size_t from = c * n / chunks, to = (c + 1) * n / chunks;
      omp_set_num_threads(1);  // this thread's parallel regions only (OpenMP ICV)
      index_.search(static_cast<faiss::Index::idx_t>(to - from), queries.data() + from * dim_, kk, d.data() + from * kk,
                    labels.data() + from * kk);
    });
    for (std::size_t q = 0; q < n; ++q) {
      for (int j = 0; j < kk; ++j) {
        const auto l = labels[q * kk + j];
        if (l < 0) continue;
        out.ids[q * k + j] = ids_[static_cast<std::size_t>(l)];
        out.scores[q * k + j] = d[q * kk + j];
      }
    }
  }

  ShardFormat format() const override { return ShardFormat::kFlat; }
  std::uint64_t size() const override { return ids_.size(); }
  std::size_t memory_bytes() const override {
    // vectors + id array + hash map (node + bucket, as libstdc++ lays it out)
    return index_.codes.capacity() + ids_.capacity() * sizeof(std::uint64_t) +
           pos_.size() * (sizeof(void*) + 2 * sizeof(std::uint64_t)) + pos_.bucket_count() * sizeof(void*);
  }
  std::string describe() const override { return "Flat"; }

  void write(BinaryWriter& w) const override {
    write_shard_header(w, ShardFormat::kFlat, dim_);
    w.vec(ids_);
    w.array(index_.get_xb(), ids_.size() * static_cast<std::size_t>(dim_));
  }

  Status load(BinaryReader& in) {
    std::vector<float> vectors;
    if (Status s = in.vec(ids_); !s) return s;
    if (Status s = in.vec(vectors); !s) return s;
    if (vectors.size() != ids_.size() * static_cast<std::size_t>(dim_)) {
      return corruption("flat shard holds " + std::to_string(ids_.size()) + " ids but " + std::to_string(vectors.size()) + " floats");
    }
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] == 0 || !pos_.emplace(ids_[i], i).second) return corruption("flat shard has a zero or repeated id");
    }
    index_.add(static_cast<faiss::Index::idx_t>(ids_.size()), vectors.data());
    return Status::ok();
  }

 private:
  int dim_;
  faiss::IndexFlatIP index_;
  std::vector<std::uint64_t> ids_;                      // by row
  std::unordered_map<std::uint64_t, std::size_t> pos_;  // id -> row
};

}  // namespace

std::unique_ptr<Shard> make_flat_shard(int dim) { return std::make_unique<FlatShard>(dim); }

Expected<std::unique_ptr<Shard>> load_flat_shard(int dim, BinaryReader& in) {
  auto shard = std::make_unique<FlatShard>(dim);
  if (Status s = shard->load(in); !s) return s;
  return std::unique_ptr<Shard>(std::move(shard));
}

}  // namespace tunggal::index::detail
