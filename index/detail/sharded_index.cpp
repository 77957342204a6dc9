#include "index/detail/sharded_index.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <sstream>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "index/detail/flat_shard.h"
#include "index/detail/hash_sq8_shard.h"
#include "index/detail/ivf_sq8_shard.h"
#include "index/detail/snapshot_format.h"
#include "index/detail/snapshot_image.h"
#include "index/detail/thread_pools.h"
#include "index/detail/vector_checks.h"

namespace tunggal::index::detail {
namespace {

// Per shard, the memory a capture writes its file into.
struct ShardBuffers final : CaptureSpace {
  std::vector<std::unique_ptr<ByteChunks>> shards;
  std::size_t bytes() const override {
    std::size_t n = 0;
    for (const auto& s : shards) n += s ? s->capacity() : 0;
    return n;
  }
};

struct ShardSlot {
  mutable std::shared_mutex mu;
  std::unique_ptr<Shard> shard;
};

class ShardedIndex final : public VectorIndex {
 public:
  ShardedIndex(const IndexOptions& o, const VectorSource* source)
      : opt_(o), source_(source), threads_(resolve_threads(o.threads)), arena_(threads_), slots_(o.shards) {
    // With S shards searched side by side, each gets its share of the cores as TBB tasks;
    // OpenBLAS stays single-threaded (see flat_shard.cpp).
    omp_per_shard_ = std::max(1, threads_ / std::min(threads_, opt_.shards));
    set_blas_threads(1);
  }

  void adopt(std::vector<std::unique_ptr<Shard>> shards) {
    for (std::size_t s = 0; s < slots_.size(); ++s) slots_[s].shard = s < shards.size() && shards[s] ? std::move(shards[s]) : new_shard();
  }

  int dimension() const override { return opt_.dimension; }

  Status add(std::span<const std::uint64_t> ids, std::span<const float> vectors) override {
    std::lock_guard writer(writer_mu_);
    if (vectors.size() != ids.size() * static_cast<std::size_t>(opt_.dimension)) {
      return invalid_argument("add: " + std::to_string(ids.size()) + " ids need " +
                              std::to_string(ids.size() * opt_.dimension) + " floats (dimension " +
                              std::to_string(opt_.dimension) + "), got " + std::to_string(vectors.size()));
    }
    if (Status s = check_ids(ids); !s) return s;
    std::vector<float> unit;
    if (Status s = normalised_copy(vectors, opt_.dimension, "vector", unit); !s) return s;
    // Route rows to shards and refuse the whole batch if any id is already indexed.
    std::vector<std::vector<std::size_t>> rows(slots_.size());
    for (std::size_t i = 0; i < ids.size(); ++i) rows[shard_of(ids[i])].push_back(i);
    std::vector<std::vector<std::uint64_t>> sid(slots_.size());
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      for (std::size_t r : rows[s]) sid[s].push_back(ids[r]);
      const std::vector<bool> present = slots_[s].shard->contains(sid[s]);
      for (std::size_t j = 0; j < present.size(); ++j) {
        if (present[j]) {
          return Status(ErrorCode::kAlreadyExists,
                        "id " + std::to_string(sid[s][j]) + " is already in the index; remove it first to replace its vector");
        }
      }
    }
    const std::uint64_t total_after = size() + ids.size();
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      if (rows[s].empty()) continue;
      std::vector<float> sv(rows[s].size() * opt_.dimension);
      for (std::size_t j = 0; j < rows[s].size(); ++j) {
        std::copy_n(unit.data() + rows[s][j] * opt_.dimension, opt_.dimension, sv.data() + j * opt_.dimension);
      }
      Shard& shard = *slots_[s].shard;
      if (const Next next = next_form(shard, shard.size() + sid[s].size(), total_after); next != Next::kKeep) {
        // Build (and train) outside the lock: searches go on against the old shard meanwhile
        // (the writer mutex keeps it unchanged), then the new one replaces it in one swap.
        std::vector<std::uint64_t> all_ids;
        std::vector<float> all;
        shard.contents(all_ids, all);
        all_ids.insert(all_ids.end(), sid[s].begin(), sid[s].end());
        all.insert(all.end(), sv.begin(), sv.end());
        std::unique_ptr<Shard> rebuilt;
        if (next == Next::kTrainIvf) {
          rebuilt = build_ivf_sq8_shard(opt_.dimension, ivf_params(opt_, source_), all_ids, all, threads_);
        } else {
          rebuilt = make_hash_sq8_shard(opt_.dimension, hash_params(opt_, source_, threads_));
          rebuilt->add(all_ids, all);
        }
        std::unique_lock lock(slots_[s].mu);
        slots_[s].shard = std::move(rebuilt);
        ++trainings_;
        continue;
      }
      std::unique_lock lock(slots_[s].mu);
      shard.add(sid[s], sv);
    }
    return Status::ok();
  }

  Status remove(std::span<const std::uint64_t> ids) override {
    std::lock_guard writer(writer_mu_);
    if (Status s = check_ids(ids); !s) return s;
    std::vector<std::vector<std::uint64_t>> per(slots_.size());
    for (std::uint64_t id : ids) per[shard_of(id)].push_back(id);
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      const std::vector<bool> present = slots_[s].shard->contains(per[s]);
      for (std::size_t j = 0; j < present.size(); ++j) {
        if (!present[j]) return not_found("remove: id " + std::to_string(per[s][j]) + " is not in the index; nothing was removed");
      }
    }
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      if (per[s].empty()) continue;
      std::unique_lock lock(slots_[s].mu);
      slots_[s].shard->remove(per[s]);
    }
    return Status::ok();
  }

  Expected<SearchResults> search(std::span<const float> queries, int k) const override {
    if (k < 1) return invalid_argument("search: k must be at least 1, got " + std::to_string(k));
    std::vector<float> unit;
    if (Status s = normalised_copy(queries, opt_.dimension, "query", unit); !s) return s;
    SearchResults r;
    r.queries = static_cast<int>(unit.size() / opt_.dimension);
    r.k = k;
    const std::size_t n = r.queries;
    if (slots_.size() == 1) {
      ShardHits hits;
      std::shared_lock lock(slots_[0].mu);
      arena_.execute([&] { slots_[0].shard->search(unit, k, threads_, hits); });
      r.ids = std::move(hits.ids);
      r.scores = std::move(hits.scores);
      return r;
    }
    std::vector<ShardHits> hits(slots_.size());
    arena_.execute([&] {
      tbb::parallel_for(std::size_t{0}, slots_.size(), [&](std::size_t s) {
        std::shared_lock lock(slots_[s].mu);
        slots_[s].shard->search(unit, k, omp_per_shard_, hits[s]);
      });
    });
    // Exact merge: the global top-k is among the shards' top-k. Ties go to the smaller id.
    r.ids.assign(n * k, kNoId);
    r.scores.assign(n * k, -std::numeric_limits<float>::infinity());
    std::vector<std::pair<float, std::uint64_t>> cand;
    for (std::size_t q = 0; q < n; ++q) {
      cand.clear();
      for (const ShardHits& h : hits) {
        for (int j = 0; j < k; ++j) {
          if (h.ids[q * k + j] != kNoId) cand.emplace_back(h.scores[q * k + j], h.ids[q * k + j]);
        }
      }
      const std::size_t keep = std::min<std::size_t>(k, cand.size());
      std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      for (std::size_t j = 0; j < keep; ++j) {
        r.scores[q * k + j] = cand[j].first;
        r.ids[q * k + j] = cand[j].second;
      }
    }
    return r;
  }

  std::uint64_t size() const override {
    std::uint64_t n = 0;
    for (const auto& s : slots_) {
      std::shared_lock lock(s.mu);
      n += s.shard->size();
    }
    return n;
  }

  std::size_t memory_bytes() const override {
    std::size_t b = sizeof(*this);
    for (const auto& s : slots_) {
      std::shared_lock lock(s.mu);
      b += s.shard->memory_bytes();
    }
    return b;
  }

  std::string describe() const override {
    std::string kinds;
    for (const auto& s : slots_) {
      std::shared_lock lock(s.mu);
      const std::string d = s.shard->describe();
      if (kinds.find(d) == std::string::npos) kinds += (kinds.empty() ? "" : "|") + d;
    }
    return std::to_string(slots_.size()) + (slots_.size() == 1 ? " shard x " : " shards x ") + kinds;
  }

  std::unique_ptr<IndexImage> capture(std::uint64_t covered_seq, std::unique_ptr<CaptureSpace> space) const override;
  std::unique_ptr<CaptureSpace> reserve_capture() const override;

 private:
  std::size_t shard_of(std::uint64_t id) const { return mix_id(id) % slots_.size(); }
  std::unique_ptr<Shard> new_shard() const {
    if (opt_.kind == IndexKind::kHashSq8) return make_hash_sq8_shard(opt_.dimension, hash_params(opt_, source_, threads_));
    return make_flat_shard(opt_.dimension);
  }

  // What a shard about to hold shard_after vectors (the index total_after) must become.
  // kAuto: flat shards turn into hash-sq8 at auto_switch_size. kIvfSq8: flat until 16 lists can
  // be trained, then retrained at every retrain_growth-fold growth.
  enum class Next { kKeep, kHash, kTrainIvf };
  Next next_form(const Shard& shard, std::uint64_t shard_after, std::uint64_t total_after) const {
    if (opt_.kind == IndexKind::kAuto) {
      return shard.format() == ShardFormat::kFlat && total_after >= opt_.auto_switch_size ? Next::kHash : Next::kKeep;
    }
    if (opt_.kind != IndexKind::kIvfSq8) return Next::kKeep;
    const bool train = shard.trained_size() == 0
                           ? shard_after >= 16ull * opt_.ivf_vectors_per_list
                           : shard_after >= static_cast<std::uint64_t>(opt_.retrain_growth * static_cast<double>(shard.trained_size()));
    return train ? Next::kTrainIvf : Next::kKeep;
  }

  IndexOptions opt_;
  const VectorSource* source_;
  int threads_;
  int omp_per_shard_ = 1;
  mutable tbb::task_arena arena_;
  mutable std::mutex writer_mu_;  // one writer at a time (add, remove, save)
  std::vector<ShardSlot> slots_;
  std::uint64_t trainings_ = 0;
};

// Each shard's file size, counted by writing it to nowhere (no data is read), then that much memory
// allocated and touched, all without the writer mutex: adds and removes go on meanwhile.
std::unique_ptr<CaptureSpace> ShardedIndex::reserve_capture() const {
  auto space = std::make_unique<ShardBuffers>();
  for (const auto& slot : slots_) {
    ByteCounter counter;
    {
      std::ostream out(&counter);
      BinaryWriter w(out);
      std::shared_lock lock(slot.mu);
      slot.shard->write(w);
    }
    space->shards.push_back(std::make_unique<ByteChunks>());
    space->shards.back()->reserve(counter.size());
  }
  return space;
}

// The writer mutex keeps every shard as it is from the covered sequence to the last byte copied:
// no add or remove slips in between (searches go on under the shard locks).
std::unique_ptr<IndexImage> ShardedIndex::capture(std::uint64_t covered_seq, std::unique_ptr<CaptureSpace> space) const {
  std::lock_guard writer(writer_mu_);
  auto* reserved = dynamic_cast<ShardBuffers*>(space.get());
  std::vector<SnapshotImage::File> files;
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    SnapshotImage::File f{"shard-" + std::to_string(s) + "-seq" + std::to_string(covered_seq) + ".bin",
                          reserved && s < reserved->shards.size() ? std::move(reserved->shards[s]) : std::make_unique<ByteChunks>()};
    std::ostream out(f.bytes.get());
    BinaryWriter w(out);
    std::shared_lock lock(slots_[s].mu);
    slots_[s].shard->write(w);
    f.bytes->release_unused();
    files.push_back(std::move(f));
  }
  std::ostringstream m;
  m << kManifestHeader << "\n"
    << "dimension " << opt_.dimension << "\nshards " << opt_.shards << "\nkind " << to_string(opt_.kind) << "\n"
    << "threads " << opt_.threads << "\nauto_switch_size " << opt_.auto_switch_size << "\n"
    << "hash_shortlist_per_million " << opt_.hash_shortlist_per_million << "\n"
    << "ivf_vectors_per_list " << opt_.ivf_vectors_per_list << "\nivf_probe_fraction " << opt_.ivf_probe_fraction << "\n"
    << "rerank_depth " << opt_.rerank_depth << "\ntrain_sample " << opt_.train_sample << "\n"
    << "retrain_growth " << opt_.retrain_growth << "\nseed " << opt_.seed << "\n"
    << "covered_seq " << covered_seq << "\n";
  return std::make_unique<SnapshotImage>(covered_seq, m.str(), std::move(files));
}

}  // namespace

Expected<std::unique_ptr<VectorIndex>> make_sharded_index(const IndexOptions& options, const VectorSource* source,
                                                          std::vector<std::unique_ptr<Shard>> loaded_shards) {
  auto idx = std::make_unique<ShardedIndex>(options, source);
  idx->adopt(std::move(loaded_shards));
  return std::unique_ptr<VectorIndex>(std::move(idx));
}

}  // namespace tunggal::index::detail
