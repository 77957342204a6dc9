#include "index/detail/hash_sq8_shard.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <unordered_set>

#include <tbb/parallel_for.h>

#include "index/detail/exact_dot.h"
#include "index/detail/hamming_scan.h"
#include "index/detail/hamming_shortlist.h"
#include "index/detail/random_rotation.h"
#include "index/detail/snapshot_format.h"
#include "index/detail/sq8_scan.h"

namespace tunggal::index::detail {
namespace {

constexpr std::size_t kPageRows = 4096;
// Stage 1 walks the rows in tiles of this many bytes of sign bits (a multiple of a block of 8
// rows) and runs every query of the batch over a tile before moving on: the tile stays in L1
// (48 KB on this machine), where a whole page (256 KB at 512 bits) would be re-read from L2 by
// each query. L2 bandwidth, not the popcounts, bounded the page-at-a-time loop (docs/index.md).
constexpr std::size_t kTileBytes = 32 * 1024;

// 64-byte aligned, zeroed: a 512-bit load then never straddles two cache lines, and an 8-bit
// code of 512 bytes is exactly 8 lines (malloc's 16-byte alignment made both pay a split load).
struct AlignedFree {
  void operator()(void* p) const { ::operator delete[](p, std::align_val_t{64}); }
};
template <typename T>
using AlignedArray = std::unique_ptr<T[], AlignedFree>;
template <typename T>
AlignedArray<T> aligned_array(std::size_t n) {
  return AlignedArray<T>(new (std::align_val_t{64}) T[n]());
}

struct Page {
  AlignedArray<std::uint64_t> bits;
  AlignedArray<std::uint8_t> codes;
  std::unique_ptr<std::uint64_t[]> ids;
};

// A rotated query in the three forms the three stages use.
struct PreparedQuery {
  std::span<const float> unit;  // original, for the exact stage
  std::vector<std::uint64_t> bits;
  QuantisedQuery sq8;
};

class HashSq8Shard final : public Shard {
 public:
  HashSq8Shard(int dim, const HashParams& p, Padding padding)
      : dim_(dim), p_(p), rot_(dim, p.seed, padding), dp_(rot_.padded()), words_(dp_ / 64),
        // Rotated unit vectors have components ~N(0, 1/dp): 5.5 sigma maps to 127, so a clipped
        // component occurs about once in 25 million.
        scale_(127.0f / (5.5f / std::sqrt(static_cast<float>(dp_)))) {}

  std::vector<bool> contains(std::span<const std::uint64_t> ids) const override {
    // Every add asks first whether its ids are new. The engine's subject ids only grow, so the
    // answer is almost always "all above the largest id ever added": no scan of the shard (a
    // full scan per micro-batch cost ~20 ns per enrolled row, 100 ms per batch at 1M).
    if (!max_id_) {
      std::uint64_t m = 0;
      for_each_row([&](std::size_t, std::uint64_t id) { m = std::max(m, id); });
      max_id_ = m;
    }
    if (size_ == 0 || std::all_of(ids.begin(), ids.end(), [&](std::uint64_t id) { return id > *max_id_; }))
      return std::vector<bool>(ids.size(), false);
    std::unordered_set<std::uint64_t> want(ids.begin(), ids.end()), found;
    for_each_row([&](std::size_t, std::uint64_t id) {
      if (want.count(id)) found.insert(id);
    });
    std::vector<bool> present(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) present[i] = found.count(ids[i]) != 0;
    return present;
  }

  void add(std::span<const std::uint64_t> ids, std::span<const float> unit) override {
    std::vector<float> r(dp_);
    std::vector<std::uint64_t> bits(words_);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (size_ == pages_.size() * kPageRows) {
        pages_.push_back(new_page());
      }
      rot_.apply(unit.subspan(i * dim_, dim_), r);
      Page& pg = pages_[size_ / kPageRows];
      const std::size_t at = size_ % kPageRows;
      sign_bits(r, bits.data());
      for (int w = 0; w < words_; ++w) pg.bits[blocked_at(at, w, words_)] = bits[w];
      encode(r, dp_, scale_, pg.codes.get() + at * dp_);
      pg.ids[at] = ids[i];
      ++size_;
      if (max_id_) max_id_ = std::max(*max_id_, ids[i]);
    }
  }

  void remove(std::span<const std::uint64_t> ids) override {
    std::unordered_set<std::uint64_t> gone(ids.begin(), ids.end());
    for (std::size_t row = 0; row < size_;) {
      Page& pg = pages_[row / kPageRows];
      const std::size_t at = row % kPageRows;
      if (!gone.count(pg.ids[at])) { ++row; continue; }
      const std::size_t last = size_ - 1;
      if (row != last) {
        const Page& lp = pages_[last / kPageRows];
        const std::size_t la = last % kPageRows;
        for (int w = 0; w < words_; ++w) pg.bits[blocked_at(at, w, words_)] = lp.bits[blocked_at(la, w, words_)];
        std::copy_n(lp.codes.get() + la * dp_, dp_, pg.codes.get() + at * dp_);
        pg.ids[at] = lp.ids[la];
      }
      --size_;
      if (size_ <= (pages_.size() - 1) * kPageRows) pages_.pop_back();
    }
  }

  std::size_t shortlist() const {
    // Floor of 256: small shards and short hashes (finger codes: 64-128 bits) need a deeper
    // Hamming shortlist than the exact re-rank depth.
    return std::max<std::size_t>({256, static_cast<std::size_t>(p_.rerank_depth),
                                  static_cast<std::size_t>(p_.shortlist_per_million) * size_ / 1'000'000});
  }

  void search(std::span<const float> queries, int k, int, ShardHits& out) const override {
    const std::size_t n = queries.size() / dim_;
    out.ids.assign(n * k, 0);
    out.scores.assign(n * k, -std::numeric_limits<float>::infinity());
    if (size_ == 0 || n == 0) return;
    std::vector<PreparedQuery> pq(n);
    std::vector<float> r(dp_);
    for (std::size_t q = 0; q < n; ++q) {
      pq[q].unit = queries.subspan(q * dim_, dim_);
      rot_.apply(pq[q].unit, r);
      pq[q].bits.resize(words_);
      sign_bits(r, pq[q].bits.data());
      quantise_query(r, dp_, scale_, pq[q].sq8);
    }
    const std::size_t depth = std::min(size_, std::max<std::size_t>(k, shortlist()));

    // Stage 1: Hamming over all rows. Tasks split the pages; within a page, each tile of rows
    // (kTileBytes of bits) is scanned by every query of the batch while it sits in L1. Each query
    // keeps the rows below a threshold that tightens as hits accumulate (hamming_shortlist.h:
    // every row closer than the depth-th nearest, ties arbitrary).
    const std::size_t npages = pages_.size();
    const std::size_t tasks = std::clamp<std::size_t>(p_.tasks, 1, npages);
    const std::size_t tile_rows = std::max<std::size_t>(kHashBlock, kTileBytes / (words_ * 8) / kHashBlock * kHashBlock);
    const auto closer = [](const HammingHit& a, const HammingHit& b) { return a.dist < b.dist; };
    std::vector<std::vector<HammingShortlist>> found(tasks);
    tbb::parallel_for(std::size_t{0}, tasks, [&](std::size_t t) {
      std::vector<HammingHit> tile_hits(tile_rows);
      auto& mine = found[t];
      mine.assign(n, HammingShortlist(depth, dp_));
      for (std::size_t p = t * npages / tasks; p < (t + 1) * npages / tasks; ++p) {
        const std::size_t rows = std::min(kPageRows, size_ - p * kPageRows);
        for (std::size_t t0 = 0; t0 < rows; t0 += tile_rows) {
          const std::size_t tr = std::min(tile_rows, rows - t0);
          const std::uint64_t* tile = pages_[p].bits.get() + t0 * words_;  // t0 is a multiple of the 8-row block
          for (std::size_t q = 0; q < n; ++q) {
            HammingShortlist& c = mine[q];
            const std::size_t m = hamming_below(tile, tr, words_, pq[q].bits.data(), c.threshold(),
                                                static_cast<std::uint32_t>(p * kPageRows + t0), tile_hits.data());
            c.add(tile_hits.data(), m);
          }
        }
      }
    });

    // Stages 2 and 3, per query.
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t q) {
      std::vector<HammingHit> cand;
      for (std::size_t t = 0; t < tasks; ++t) {
        const auto& hits = found[t][q].hits();
        cand.insert(cand.end(), hits.begin(), hits.end());
      }
      if (cand.size() > depth) {
        std::nth_element(cand.begin(), cand.begin() + depth, cand.end(), closer);
        cand.resize(depth);
      }
      std::vector<std::pair<float, std::uint64_t>> scored(cand.size());
      // The shortlist rows are scattered over the shard: fetch a few rows ahead so their cache
      // misses overlap instead of queueing one by one.
      constexpr std::size_t kAhead = 6;
      const auto prefetch = [&](std::size_t i) {
        const std::uint32_t row = cand[i].row;
        const std::uint8_t* code = pages_[row / kPageRows].codes.get() + (row % kPageRows) * dp_;
        for (int off = 0; off < dp_; off += 64) __builtin_prefetch(code + off);
      };
      for (std::size_t i = 0; i < std::min(kAhead, cand.size()); ++i) prefetch(i);
      for (std::size_t i = 0; i < cand.size(); ++i) {
        if (i + kAhead < cand.size()) prefetch(i + kAhead);
        const std::uint32_t row = cand[i].row;
        const Page& pg = pages_[row / kPageRows];
        std::int32_t raw = 0;
        scan_codes(pg.codes.get() + (row % kPageRows) * dp_, 1, dp_, pq[q].sq8.q.data(), &raw);
        scored[i] = {pq[q].sq8.score(raw), pg.ids[row % kPageRows]};
      }
      const auto better = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
      const std::size_t keep8 = std::min<std::size_t>(std::max(k, p_.rerank_depth), scored.size());
      std::partial_sort(scored.begin(), scored.begin() + keep8, scored.end(), better);
      scored.resize(keep8);
      if (p_.source) {
        std::vector<float> full(dim_);
        for (auto& [score, id] : scored) {
          if (p_.source->get(id, full)) score = cosine(pq[q].unit, full);
        }
      }
      const std::size_t keep = std::min<std::size_t>(k, scored.size());
      std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(), better);
      for (std::size_t j = 0; j < keep; ++j) {
        out.scores[q * k + j] = scored[j].first;
        out.ids[q * k + j] = scored[j].second;
      }
    });
  }

  // A single-window rotation is the power-of-two rotation: those shards keep the original format,
  // which every build reads.
  ShardFormat format() const override { return rot_.single_window() ? ShardFormat::kHashSq8 : ShardFormat::kHashSq8Compact; }
  std::uint64_t size() const override { return size_; }
  std::size_t memory_bytes() const override {
    return pages_.capacity() * sizeof(Page) + pages_.size() * kPageRows * (words_ * 8 + dp_ + 8) + signs_bytes();
  }
  std::string describe() const override {
    return "Hash" + std::to_string(dp_) + "+SQ8 shortlist " + std::to_string(shortlist()) +
           (p_.source ? " + rerank " : " + int8 rank ") + std::to_string(p_.rerank_depth);
  }

  void contents(std::vector<std::uint64_t>& ids, std::vector<float>& vectors) const override {
    // Only used to rebuild a shard; the codes can be un-rotated but a source is exact.
    ids.clear();
    vectors.assign(size_ * dim_, 0.0f);
    std::vector<float> r(dp_);
    for_each_row([&](std::size_t row, std::uint64_t id) {
      ids.push_back(id);
      auto out = std::span(vectors).subspan(row * dim_, dim_);
      if (!(p_.source && p_.source->get(id, out))) {
        decode(pages_[row / kPageRows].codes.get() + (row % kPageRows) * dp_, dp_, scale_, r);
        rot_.invert(r, out);
      }
    });
  }

  void write(BinaryWriter& w) const override {
    write_shard_header(w, format(), dim_);
    w.pod(p_.seed);
    w.pod(static_cast<std::uint64_t>(size_));
    for (std::size_t p = 0; p < pages_.size(); ++p) {
      const std::size_t rows = std::min(kPageRows, size_ - p * kPageRows);
      w.array(pages_[p].ids.get(), rows);
      w.array(pages_[p].bits.get(), blocked_words(rows));
      w.array(pages_[p].codes.get(), rows * dp_);
    }
  }

  Status load(BinaryReader& in) {
    std::uint64_t seed = 0, n = 0;
    for (Status s : {in.pod(seed), in.pod(n)}) {
      if (!s) return s;
    }
    if (seed != p_.seed) return corruption("hash shard was written with rotation seed " + std::to_string(seed) + ", manifest says " + std::to_string(p_.seed));
    std::vector<std::uint64_t> ids, bits;
    std::vector<std::uint8_t> codes;
    while (size_ < n) {
      for (Status s : {in.vec(ids), in.vec(bits), in.vec(codes)}) {
        if (!s) return s;
      }
      const std::size_t rows = ids.size();
      if (rows == 0 || rows > kPageRows || bits.size() != blocked_words(rows) || codes.size() != rows * dp_ || size_ + rows > n) {
        return corruption("hash shard page is damaged");
      }
      pages_.push_back(new_page());
      std::copy(ids.begin(), ids.end(), pages_.back().ids.get());
      std::copy(bits.begin(), bits.end(), pages_.back().bits.get());
      std::copy(codes.begin(), codes.end(), pages_.back().codes.get());
      size_ += rows;
    }
    return Status::ok();
  }

 private:
  Page new_page() const {
    return {aligned_array<std::uint64_t>(kPageRows * words_), aligned_array<std::uint8_t>(kPageRows * dp_),
            std::make_unique<std::uint64_t[]>(kPageRows)};
  }
  template <typename F>
  void for_each_row(F&& f) const {
    for (std::size_t row = 0; row < size_; ++row) f(row, pages_[row / kPageRows].ids[row % kPageRows]);
  }
  std::size_t blocked_words(std::size_t rows) const { return (rows + kHashBlock - 1) / kHashBlock * kHashBlock * words_; }
  std::size_t signs_bytes() const { return rot_.memory_bytes(); }
  void sign_bits(std::span<const float> r, std::uint64_t* bits) const {
    for (int w = 0; w < words_; ++w) {
      std::uint64_t b = 0;
      for (int j = 0; j < 64; ++j) b |= static_cast<std::uint64_t>(r[w * 64 + j] > 0.0f) << j;
      bits[w] = b;
    }
  }
  static float cosine(std::span<const float> unit_query, std::span<const float> v) {
    return cosine_to_unit(unit_query.data(), v.data(), v.size());
  }

  int dim_;
  HashParams p_;
  RandomRotation rot_;
  int dp_, words_;
  float scale_;
  std::vector<Page> pages_;
  std::size_t size_ = 0;
  // Largest id ever added (an upper bound after removals), computed on first need after a load.
  mutable std::optional<std::uint64_t> max_id_;
};

}  // namespace

HashParams hash_params(const IndexOptions& o, const VectorSource* source, int threads) {
  HashParams p;
  p.shortlist_per_million = o.hash_shortlist_per_million;
  p.rerank_depth = o.rerank_depth;
  p.seed = o.seed;
  p.tasks = threads;
  p.source = source;
  return p;
}

std::unique_ptr<Shard> make_hash_sq8_shard(int dim, const HashParams& params, Padding padding) {
  return std::make_unique<HashSq8Shard>(dim, params, padding);
}

Expected<std::unique_ptr<Shard>> load_hash_sq8_shard(int dim, const HashParams& params, ShardFormat format,
                                                     BinaryReader& in) {
  auto shard = std::make_unique<HashSq8Shard>(dim, params, format == ShardFormat::kHashSq8 ? Padding::kPowerOfTwo : Padding::kCompact);
  if (Status s = shard->load(in); !s) return s;
  return std::unique_ptr<Shard>(std::move(shard));
}

}  // namespace tunggal::index::detail
