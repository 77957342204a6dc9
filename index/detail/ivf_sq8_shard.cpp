#include "index/detail/ivf_sq8_shard.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <unordered_set>

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "index/detail/exact_dot.h"
#include "index/detail/snapshot_format.h"
#include "index/detail/sq8_scan.h"

namespace tunggal::index::detail {
namespace {

struct InvertedList {
  std::vector<std::uint8_t> codes;  // size() * dim_pad
  std::vector<std::uint64_t> ids;
};

// Growth of a list's arrays by 1/8 instead of std::vector's doubling: a list's slack is what
// keeps bytes/vector near the code size.
template <typename T>
void reserve_for(std::vector<T>& v, std::size_t need) {
  if (need > v.capacity()) v.reserve(std::max(need, v.capacity() + v.capacity() / 8 + 16));
}

class IvfSq8Shard final : public Shard {
 public:
  IvfSq8Shard(int dim, const IvfParams& p) : dim_(dim), dim_pad_(padded_dimension(dim)), p_(p), centroids_(dim) {}

  // Partitions from k-means (spherical: centroids are unit, assignment by inner product) on a
  // sample; the code scale maps the largest component seen in the sample to 127.
  void train(std::span<const float> vectors, int omp_threads) {
    const std::size_t n = vectors.size() / dim_;
    const std::size_t nlist = std::clamp<std::size_t>(n / std::max(1, p_.vectors_per_list), 16, 65536);
    std::vector<float> sample;
    const std::size_t ns = std::min<std::size_t>(n, std::max<std::size_t>(p_.train_sample, nlist * 8));
    if (ns == n) {
      sample.assign(vectors.begin(), vectors.end());
    } else {
      std::mt19937_64 rng(p_.seed);
      std::vector<std::size_t> rows(n);
      for (std::size_t i = 0; i < n; ++i) rows[i] = i;
      for (std::size_t i = 0; i < ns; ++i) std::swap(rows[i], rows[i + rng() % (n - i)]);
      sample.resize(ns * dim_);
      for (std::size_t i = 0; i < ns; ++i) std::copy_n(vectors.data() + rows[i] * dim_, dim_, sample.data() + i * dim_);
    }
    float m = 0;
    for (float v : sample) m = std::max(m, std::abs(v));
    scale_ = m > 0 ? 127.0f / m : 127.0f;
    omp_set_num_threads(omp_threads);
    faiss::ClusteringParameters cp;
    cp.niter = 10;
    cp.spherical = true;
    cp.seed = static_cast<int>(p_.seed);
    cp.max_points_per_centroid = 1 << 30;  // we sampled already
    cp.min_points_per_centroid = 1;        // silence FAISS's warning for small shards
    faiss::Clustering km(dim_, static_cast<int>(std::min(nlist, ns)), cp);
    faiss::IndexFlatIP assign(dim_);
    km.train(static_cast<faiss::Index::idx_t>(ns), sample.data(), assign);
    centroids_.reset();
    centroids_.add(static_cast<faiss::Index::idx_t>(km.k), km.centroids.data());
    lists_.assign(km.k, {});
    trained_size_ = n;
  }

  std::vector<bool> contains(std::span<const std::uint64_t> ids) const override {
    std::unordered_set<std::uint64_t> want(ids.begin(), ids.end());
    std::unordered_set<std::uint64_t> found;
    for (const auto& l : lists_) {
      for (std::uint64_t id : l.ids) {
        if (want.count(id)) found.insert(id);
      }
    }
    std::vector<bool> present(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) present[i] = found.count(ids[i]) != 0;
    return present;
  }

  void add(std::span<const std::uint64_t> ids, std::span<const float> unit) override { add_with_threads(ids, unit, 1); }

  void add_with_threads(std::span<const std::uint64_t> ids, std::span<const float> unit, int omp_threads) {
    const std::size_t n = ids.size();
    std::vector<float> d(n);
    std::vector<faiss::Index::idx_t> list(n);
    omp_set_num_threads(omp_threads);
    centroids_.search(static_cast<faiss::Index::idx_t>(n), unit.data(), 1, d.data(), list.data());
    std::vector<std::size_t> per(lists_.size());
    for (auto l : list) ++per[l];
    for (std::size_t l = 0; l < lists_.size(); ++l) {
      if (!per[l]) continue;
      reserve_for(lists_[l].ids, lists_[l].ids.size() + per[l]);
      reserve_for(lists_[l].codes, (lists_[l].ids.size() + per[l]) * dim_pad_);
    }
    for (std::size_t i = 0; i < n; ++i) {
      InvertedList& l = lists_[list[i]];
      const std::size_t at = l.codes.size();
      l.codes.resize(at + dim_pad_);
      encode(unit.subspan(i * dim_, dim_), dim_pad_, scale_, l.codes.data() + at);
      l.ids.push_back(ids[i]);
    }
    size_ += n;
  }

  void remove(std::span<const std::uint64_t> ids) override {
    std::unordered_set<std::uint64_t> gone(ids.begin(), ids.end());
    for (auto& l : lists_) {
      for (std::size_t i = 0; i < l.ids.size();) {
        if (!gone.count(l.ids[i])) { ++i; continue; }
        const std::size_t last = l.ids.size() - 1;
        if (i != last) {
          l.ids[i] = l.ids[last];
          std::copy_n(l.codes.data() + last * dim_pad_, dim_pad_, l.codes.data() + i * dim_pad_);
        }
        l.ids.pop_back();
        l.codes.resize(last * dim_pad_);
        --size_;
      }
    }
  }

  int nprobe() const {
    const int nlist = static_cast<int>(lists_.size());
    return std::clamp(static_cast<int>(std::lround(p_.probe_fraction * nlist)), 1, nlist);
  }

  void search(std::span<const float> queries, int k, int omp_threads, ShardHits& out) const override {
    const std::size_t n = queries.size() / dim_;
    out.ids.assign(n * k, 0);
    out.scores.assign(n * k, -std::numeric_limits<float>::infinity());
    if (size_ == 0 || n == 0) return;
    const int np = nprobe();
    std::vector<float> cd(n * np);
    std::vector<faiss::Index::idx_t> cl(n * np);
    omp_set_num_threads(1);  // the coarse search is small; parallelism is per query below
    centroids_.search(static_cast<faiss::Index::idx_t>(n), queries.data(), np, cd.data(), cl.data());
    struct Scratch {
      QuantisedQuery q;
      std::vector<std::int32_t> raw;
      std::vector<std::pair<std::int32_t, std::uint64_t>> cand;
      std::vector<std::pair<float, std::uint64_t>> scored;
      std::vector<float> full;
    };
    tbb::enumerable_thread_specific<Scratch> scratch;
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t qi) {
      Scratch& s = scratch.local();
      const auto query = queries.subspan(qi * dim_, dim_);
      quantise_query(query, dim_pad_, scale_, s.q);
      s.cand.clear();
      for (int j = 0; j < np; ++j) {
        const auto l = cl[qi * np + j];
        if (l < 0) continue;
        const InvertedList& list = lists_[l];
        const std::size_t m = list.ids.size();
        s.raw.resize(m);
        scan_codes(list.codes.data(), m, dim_pad_, s.q.q.data(), s.raw.data());
        for (std::size_t i = 0; i < m; ++i) s.cand.emplace_back(s.raw[i], list.ids[i]);
      }
      const std::size_t depth = std::min<std::size_t>(std::max(k, p_.rerank_depth), s.cand.size());
      std::nth_element(s.cand.begin(), s.cand.begin() + depth, s.cand.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      s.scored.clear();
      s.full.resize(dim_);
      for (std::size_t i = 0; i < depth; ++i) {
        float score = s.q.score(s.cand[i].first);
        if (p_.source && p_.source->get(s.cand[i].second, s.full)) score = cosine(query, s.full);
        s.scored.emplace_back(score, s.cand[i].second);
      }
      const std::size_t keep = std::min<std::size_t>(k, s.scored.size());
      std::partial_sort(s.scored.begin(), s.scored.begin() + keep, s.scored.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      for (std::size_t j = 0; j < keep; ++j) {
        out.scores[qi * k + j] = s.scored[j].first;
        out.ids[qi * k + j] = s.scored[j].second;
      }
    });
  }

  ShardFormat format() const override { return ShardFormat::kIvfSq8; }
  std::uint64_t size() const override { return size_; }

  std::size_t memory_bytes() const override {
    std::size_t b = centroids_.codes.capacity() + lists_.capacity() * sizeof(InvertedList);
    for (const auto& l : lists_) b += l.codes.capacity() + l.ids.capacity() * sizeof(std::uint64_t);
    return b;
  }

  std::string describe() const override {
    return "IVF" + std::to_string(lists_.size()) + ",SQ8 probe " + std::to_string(nprobe()) +
           (p_.source ? " + rerank " : " + int8 rank ") + std::to_string(p_.rerank_depth);
  }

  std::uint64_t trained_size() const override { return trained_size_; }

  void contents(std::vector<std::uint64_t>& ids, std::vector<float>& vectors) const override {
    ids.clear();
    ids.reserve(size_);
    vectors.resize(size_ * dim_);
    std::size_t row = 0;
    for (const auto& l : lists_) {
      for (std::size_t i = 0; i < l.ids.size(); ++i, ++row) {
        ids.push_back(l.ids[i]);
        auto out = std::span(vectors).subspan(row * dim_, dim_);
        if (p_.source && p_.source->get(l.ids[i], out)) {
          normalise(out);
        } else {
          decode(l.codes.data() + i * dim_pad_, dim_, scale_, out);
          normalise(out);
        }
      }
    }
  }

  void write(BinaryWriter& w) const override {
    write_shard_header(w, ShardFormat::kIvfSq8, dim_);
    w.pod(scale_);
    w.pod(static_cast<std::uint64_t>(trained_size_));
    w.array(centroids_.get_xb(), static_cast<std::size_t>(centroids_.ntotal) * dim_);
    for (const auto& l : lists_) {
      w.vec(l.ids);
      w.vec(l.codes);
    }
  }

  Status load(BinaryReader& in) {
    std::vector<float> cents;
    std::uint64_t trained = 0;
    for (Status s : {in.pod(scale_), in.pod(trained), in.vec(cents)}) {
      if (!s) return s;
    }
    if (cents.empty() || cents.size() % dim_ != 0 || !(scale_ > 0)) return corruption("IVF shard header is damaged");
    trained_size_ = trained;
    centroids_.add(static_cast<faiss::Index::idx_t>(cents.size() / dim_), cents.data());
    lists_.resize(cents.size() / dim_);
    for (auto& l : lists_) {
      if (Status s = in.vec(l.ids); !s) return s;
      if (Status s = in.vec(l.codes); !s) return s;
      if (l.codes.size() != l.ids.size() * dim_pad_) return corruption("IVF list codes and ids disagree");
      size_ += l.ids.size();
    }
    return Status::ok();
  }

 private:
  static void normalise(std::span<float> v) {
    double n2 = 0;
    for (float x : v) n2 += static_cast<double>(x) * x;
    const float inv = n2 > 0 ? static_cast<float>(1.0 / std::sqrt(n2)) : 0.0f;
    for (float& x : v) x *= inv;
  }
  static float cosine(std::span<const float> unit_query, std::span<const float> v) {
    return cosine_to_unit(unit_query.data(), v.data(), v.size());
  }

  int dim_, dim_pad_;
  IvfParams p_;
  float scale_ = 127.0f;
  faiss::IndexFlatIP centroids_;
  std::vector<InvertedList> lists_;
  std::uint64_t size_ = 0, trained_size_ = 0;
};

}  // namespace

IvfParams ivf_params(const IndexOptions& o, const VectorSource* source) {
  IvfParams p;
  p.vectors_per_list = o.ivf_vectors_per_list;
  p.probe_fraction = o.ivf_probe_fraction;
  p.rerank_depth = o.rerank_depth;
  p.train_sample = o.train_sample;
  p.seed = o.seed;
  p.source = source;
  return p;
}

std::unique_ptr<Shard> build_ivf_sq8_shard(int dim, const IvfParams& params, std::span<const std::uint64_t> ids,
                                           std::span<const float> vectors, int omp_threads) {
  auto shard = std::make_unique<IvfSq8Shard>(dim, params);
  shard->train(vectors, omp_threads);
  // Assign in blocks so the BLAS distance matrix stays small.
  constexpr std::size_t kBlock = 16384;
  for (std::size_t at = 0; at < ids.size(); at += kBlock) {
    const std::size_t m = std::min(kBlock, ids.size() - at);
    shard->add_with_threads(ids.subspan(at, m), vectors.subspan(at * dim, m * dim), omp_threads);
  }
  return shard;
}

Expected<std::unique_ptr<Shard>> load_ivf_sq8_shard(int dim, const IvfParams& params, BinaryReader& in) {
  auto shard = std::make_unique<IvfSq8Shard>(dim, params);
  if (Status s = shard->load(in); !s) return s;
  return std::unique_ptr<Shard>(std::move(shard));
}

}  // namespace tunggal::index::detail
